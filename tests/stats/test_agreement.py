"""Agreement coefficients against statsmodels/krippendorff and published examples."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from mhsafe.stats import aggregate_raters, cohen_kappa, fleiss_kappa, krippendorff_alpha

N = None
# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", nominal example:
# 4 coders x 12 units, published alpha = 0.743 (nominal), 0.849 (interval).
KRIPP = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, kappa = 0.210.
FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_cohen_kappa_hand_table() -> None:
    # 2x2 table [[20, 5], [10, 15]]: po = 0.7, pe = 0.5, kappa = 0.4
    a = ["risk"] * 25 + ["none"] * 25
    b = ["risk"] * 20 + ["none"] * 5 + ["risk"] * 10 + ["none"] * 15
    res = cohen_kappa(a, b)
    assert res.estimate == pytest.approx(0.4)
    ref = sm_kappa(np.array([[15, 10], [5, 20]]))  # same table, sorted label order
    assert (res.low, res.high) == (pytest.approx(ref.kappa_low), pytest.approx(ref.kappa_upp))
    assert res.n == 50


def test_cohen_kappa_drops_missing_and_handles_degenerate() -> None:
    res = cohen_kappa(["a", "b", None, "a"], ["a", "b", "a", float("nan")])
    assert res.dropped == 2 and res.n == 2 and res.estimate == pytest.approx(1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]).estimate is None
    with pytest.raises(ValueError):
        cohen_kappa(["a"], [])


def test_weighted_kappa_matches_statsmodels() -> None:
    a = [0, 0, 1, 1, 2, 2, 2, 1, 0, 2]
    b = [0, 1, 1, 2, 2, 2, 1, 1, 0, 0]
    table = np.zeros((3, 3))
    for x, y in zip(a, b, strict=True):
        table[x, y] += 1
    res = cohen_kappa(a, b, weights="linear")
    assert res.estimate == pytest.approx(sm_kappa(table, wt="linear").kappa)


def test_fleiss_published_value_and_bootstrap() -> None:
    res = fleiss_kappa(FLEISS, n_boot=200, seed=1)
    assert res.estimate == pytest.approx(0.210, abs=5e-4)
    assert res.low is not None and res.high is not None and res.low < 0.21 < res.high
    assert res == fleiss_kappa(FLEISS, n_boot=200, seed=1)
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 2], [1, 1]])


def test_aggregate_raters_codes_labels() -> None:
    table, cats = aggregate_raters([["yes", "yes", "no"], ["no", "no", "no"]])
    assert cats == ["no", "yes"]
    assert table.tolist() == [[1, 2], [3, 0]]
    with pytest.raises(ValueError):
        aggregate_raters([["yes", None]])


def test_krippendorff_published_values() -> None:
    nominal = krippendorff_alpha(KRIPP, "nominal", n_boot=0)
    assert nominal.estimate == pytest.approx(0.743, abs=5e-4)
    assert nominal.n == 11 and nominal.dropped == 1  # unit 12 was coded once
    interval = krippendorff_alpha(KRIPP, "interval", n_boot=0)
    assert interval.estimate == pytest.approx(0.849, abs=5e-4)
    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPP], dtype=float)
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
    assert krippendorff_alpha(KRIPP, "ordinal", n_boot=0).estimate == pytest.approx(ref)


def test_krippendorff_string_labels_and_interval() -> None:
    names = {1: "none", 2: "suicide", 3: "nssi", 4: "substance", 5: "eating_disorder"}
    labelled = [[None if v is None else names[v] for v in row] for row in KRIPP]
    res = krippendorff_alpha(labelled, "nominal", n_boot=200, seed=2)
    assert res.estimate == pytest.approx(krippendorff_alpha(KRIPP, n_boot=0).estimate)
    assert res.low is not None and res.high is not None and res.low <= res.estimate <= res.high


def test_krippendorff_undefined_when_single_value() -> None:
    res = krippendorff_alpha([["a", "a"], ["a", "a"]])
    assert res.estimate is None and res.low is None
    assert not math.isnan(krippendorff_alpha([[1, 2], [1, 2]], n_boot=0).estimate or 0.0)


def test_kappa_interval_is_not_cut_at_the_estimate_when_resamples_are_degenerate() -> None:
    """Regression: resamples of perfect agreement were skipped, so every kept replicate lay
    below the estimate and the interval's upper bound equalled it (-0.05 [-0.16, -0.05])."""
    table, _ = aggregate_raters([[False, False]] * 10 + [[True, False]])
    kappa = fleiss_kappa(table)
    assert kappa.estimate is not None and kappa.estimate < 0
    assert kappa.low is None and kappa.high is None  # not estimable, said so, not faked
    table, _ = aggregate_raters([[False, False]] * 7 + [[True, False]] + [[True, True]] * 6)
    kappa = fleiss_kappa(table)
    assert kappa.low is not None and kappa.high is not None
    assert kappa.low < kappa.estimate < kappa.high
