"""Comparing proportions: two systems, two weeks, k groups, and many tests at once.

Thin wrappers: statsmodels computes the Newcombe interval, McNemar and Holm; scipy computes
Fisher and chi-square. What lives here is the choice of test for each question a report asks
and the handling of empty inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as _st
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from mhsafe.stats._proportion import Interval, proportion_ci


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test's outcome. ``statistic`` is whatever the named ``method`` reports
    (odds ratio for Fisher 2x2, min(b, c) for exact McNemar, chi-square for chi-square)."""

    __test__ = False  # not a pytest class, despite the name

    statistic: float | None
    pvalue: float
    method: str
    dof: int | None = None


@dataclass(frozen=True)
class ProportionChange:
    """A rate before and after (e.g. last week vs this week) and the change between them."""

    before: Interval
    after: Interval
    change: Interval  # after - before, Newcombe interval
    test: TestResult


def newcombe_diff_ci(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05) -> Interval:
    """Interval for the difference ``p1 - p2`` of two independent proportions.

    Newcombe's hybrid score interval (statsmodels ``method="newcomb"``) stays inside [-1, 1]
    and behaves at 0 % and 100 %, where the Wald difference collapses. Either ``n == 0`` gives
    ``None`` estimate and bounds: a difference against nothing is not zero.
    """
    if n1 == 0 or n2 == 0:
        return Interval(None, None, None, "newcombe", 1.0 - alpha)
    low, high = confint_proportions_2indep(
        k1, n1, k2, n2, method="newcomb", compare="diff", alpha=alpha
    )
    return Interval(k1 / n1 - k2 / n2, float(low), float(high), "newcombe", 1.0 - alpha)


def mcnemar_exact(b: int, c: int) -> TestResult:
    """Exact McNemar test for paired outcomes (same cases, two systems).

    ``b`` = pairs where only the first failed, ``c`` = only the second failed; concordant
    pairs carry no information about the difference. With no discordant pairs p = 1.
    """
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be >= 0")
    if b + c == 0:
        return TestResult(0.0, 1.0, "mcnemar-exact")
    res = mcnemar(np.array([[0, b], [c, 0]]), exact=True)
    return TestResult(float(res.statistic), float(res.pvalue), "mcnemar-exact")


def mcnemar_from_pairs(first: Sequence[bool], second: Sequence[bool]) -> TestResult:
    """Exact McNemar from two aligned boolean outcome lists (True = failed)."""
    if len(first) != len(second):
        raise ValueError("paired outcome lists must have the same length")
    b = sum(1 for x, y in zip(first, second, strict=True) if x and not y)
    c = sum(1 for x, y in zip(first, second, strict=True) if y and not x)
    return mcnemar_exact(b, c)


def fisher_exact_2x2(
    k1: int,
    n1: int,
    k2: int,
    n2: int,
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
) -> TestResult:
    """Fisher's exact test of ``k1/n1`` vs ``k2/n2``; ``statistic`` is the sample odds ratio
    (may be 0 or inf at the edges, which is why it is not reported without the p-value)."""
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if (table < 0).any():
        raise ValueError("need 0 <= k <= n in both groups")
    res = _st.fisher_exact(table, alternative=alternative)
    return TestResult(float(res.statistic), float(res.pvalue), "fisher-exact")


def holm(pvalues: Sequence[float], alpha: float = 0.05) -> list[float]:
    """Holm-adjusted p-values (statsmodels ``multipletests``): controls the family-wise error
    when a report tests several categories or suites at once, without Bonferroni's waste."""
    if len(pvalues) == 0:
        return []
    _, adjusted, _, _ = multipletests(list(pvalues), alpha=alpha, method="holm")
    return [float(p) for p in adjusted]


def chi2_or_fisher(
    table: Sequence[Sequence[int]], *, n_resamples: int = 20000, seed: int = 0
) -> TestResult:
    """Do k groups differ in their rate? ``table`` rows are groups, columns
    ``[events, non_events]``.

    Chi-square (scipy ``chi2_contingency``) when every expected count is at least 5, otherwise
    Fisher's exact test, because the chi-square approximation is unreliable exactly where
    safety data live: rare failures in small subgroups. With two groups Fisher is exact;
    with more, scipy estimates its p-value by Monte Carlo over tables with the observed
    margins (seeded, ``n_resamples`` draws) so the same data always give the same p. Empty
    groups are dropped; with no variation at all (no events, or only one group) there is
    nothing to test and p = 1.
    """
    arr = np.asarray(table, dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError("table must be k rows of [events, non_events]")
    if (arr < 0).any():
        raise ValueError("counts must be >= 0")
    arr = arr[arr.sum(axis=1) > 0]
    if arr.shape[0] < 2 or (arr.sum(axis=0) == 0).any():
        return TestResult(None, 1.0, "no-variation")
    expected = _st.contingency.expected_freq(arr)
    if (expected >= 5).all():
        chi = _st.chi2_contingency(arr, correction=False)
        return TestResult(float(chi.statistic), float(chi.pvalue), "chi2", int(chi.dof))
    if arr.shape[0] == 2:
        res = _st.fisher_exact(arr)
        return TestResult(float(res.statistic), float(res.pvalue), "fisher-exact")
    mc = _st.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
    res = _st.fisher_exact(arr, method=mc)
    return TestResult(float(res.statistic), float(res.pvalue), "fisher-montecarlo")


def two_proportion_change(
    k_before: int, n_before: int, k_after: int, n_after: int, alpha: float = 0.05
) -> ProportionChange:
    """Change in a rate between two independent periods (e.g. week over week).

    The change is ``after - before`` with a Newcombe interval; the test is Fisher's exact,
    which is valid at any count. Either period empty gives ``None`` change and p = 1.
    """
    before = proportion_ci(k_before, n_before, alpha=alpha)
    after = proportion_ci(k_after, n_after, alpha=alpha)
    change = newcombe_diff_ci(k_after, n_after, k_before, n_before, alpha=alpha)
    if n_before == 0 or n_after == 0:
        test = TestResult(None, 1.0, "no-data")
    else:
        test = fisher_exact_2x2(k_after, n_after, k_before, n_before)
    return ProportionChange(before, after, change, test)
