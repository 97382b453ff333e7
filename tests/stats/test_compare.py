"""Comparisons against scipy/statsmodels and published examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from mhsafe.stats import (
    chi2_or_fisher,
    fisher_exact_2x2,
    holm,
    mcnemar_exact,
    mcnemar_from_pairs,
    newcombe_diff_ci,
    two_proportion_change,
)


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example (56/70 vs 48/80), method 10.
    iv = newcombe_diff_ci(56, 70, 48, 80)
    assert iv.estimate == pytest.approx(56 / 70 - 48 / 80)
    assert iv.low == pytest.approx(0.0524, abs=5e-4)
    assert iv.high == pytest.approx(0.3339, abs=5e-4)


def test_newcombe_empty_group() -> None:
    assert newcombe_diff_ci(0, 0, 3, 10).estimate is None


def test_mcnemar_exact_is_binomial_test_on_discordant_pairs() -> None:
    res = mcnemar_exact(3, 9)
    assert res.pvalue == pytest.approx(sps.binomtest(3, 12, 0.5).pvalue)
    assert mcnemar_exact(0, 0).pvalue == 1.0


def test_mcnemar_from_pairs_counts_discordant() -> None:
    first = [True, True, False, False, True, False]
    second = [True, False, True, True, False, False]
    assert mcnemar_from_pairs(first, second).pvalue == mcnemar_exact(2, 2).pvalue
    with pytest.raises(ValueError):
        mcnemar_from_pairs([True], [])


def test_fisher_tea_tasting() -> None:
    res = fisher_exact_2x2(3, 4, 1, 4)
    assert res.pvalue == pytest.approx(sps.fisher_exact([[3, 1], [1, 3]]).pvalue)
    assert res.statistic == pytest.approx(9.0)


def test_holm_matches_statsmodels_and_hand_example() -> None:
    ps = [0.01, 0.04, 0.03]
    assert holm(ps) == pytest.approx([0.03, 0.06, 0.06])
    assert holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]))
    assert holm([]) == []


def test_chi2_when_counts_are_large() -> None:
    table = [[30, 70], [45, 55], [20, 80]]
    res = chi2_or_fisher(table)
    ref = sps.chi2_contingency(np.array(table), correction=False)
    assert res.method == "chi2" and res.dof == 2
    assert res.pvalue == pytest.approx(ref.pvalue)


def test_fisher_when_counts_are_small() -> None:
    res = chi2_or_fisher([[1, 20], [6, 14]])
    assert res.method == "fisher-exact"
    assert res.pvalue == pytest.approx(sps.fisher_exact([[1, 20], [6, 14]]).pvalue)
    many = chi2_or_fisher([[1, 20], [5, 30], [0, 10]])
    assert many.method == "fisher-montecarlo"
    assert many.pvalue == chi2_or_fisher([[1, 20], [5, 30], [0, 10]]).pvalue  # seeded


def test_chi2_or_fisher_degenerate_tables() -> None:
    assert chi2_or_fisher([[0, 10], [0, 20]]).method == "no-variation"
    assert chi2_or_fisher([[3, 10], [0, 0]]).pvalue == 1.0
    with pytest.raises(ValueError):
        chi2_or_fisher([[1, 2, 3]])


def test_two_proportion_change_direction() -> None:
    ch = two_proportion_change(10, 100, 25, 100)
    assert ch.change.estimate == pytest.approx(0.15)  # after - before
    ref = newcombe_diff_ci(25, 100, 10, 100)
    assert (ch.change.low, ch.change.high) == (ref.low, ref.high)
    assert ch.test.pvalue == pytest.approx(sps.fisher_exact([[25, 75], [10, 90]]).pvalue)
    assert two_proportion_change(0, 0, 1, 10).change.estimate is None
