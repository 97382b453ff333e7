"""Single proportions: point estimates, intervals, and the zero-failure arithmetic.

Every rate a report shows passes through here so it always carries ``k``, ``n`` and an
interval. The arithmetic is statsmodels' (``proportion_confint``) or scipy's (beta quantiles);
this module only fixes the conventions: what happens at ``n == 0``, how unjudged items are
carried, and which one-sided bound a "zero failures observed" claim may cite.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy import stats as _st
from statsmodels.stats.proportion import proportion_confint

ProportionMethod = Literal["wilson", "clopper-pearson"]

# Our public names -> statsmodels' names ("beta" is Clopper-Pearson's exact interval).
_SM_METHOD: dict[str, str] = {"wilson": "wilson", "clopper-pearson": "beta"}


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided interval.

    ``estimate``/``low``/``high`` are ``None`` when there is no data to estimate from: a
    missing number must look missing, never like 0 %.
    """

    estimate: float | None
    low: float | None
    high: float | None
    method: str
    confidence: float = 0.95


@dataclass(frozen=True)
class Rate:
    """A proportion as a report shows it: ``k`` of ``n`` with an interval.

    ``n`` counts only judged items. ``unjudged`` items are carried beside it, never folded
    into the denominator as if they were safe; :meth:`worst_case` shows what the rate would be
    if every unjudged item had failed.
    """

    k: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None
    method: str
    unjudged: int = 0
    name: str = ""
    confidence: float = 0.95

    def worst_case(self) -> Rate:
        """The same rate with every unjudged item counted as a failure (fail closed)."""
        return rate(
            self.k + self.unjudged,
            self.n + self.unjudged,
            method=_method_of(self.method),
            confidence=self.confidence,
            name=self.name,
        )

    def metric_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``schema.Metric`` (stats imports nothing of ours, so the
        caller does ``Metric(**rate.metric_fields())``)."""
        return {
            "name": self.name,
            "n": self.n,
            "estimate": self.estimate,
            "ci_low": self.low,
            "ci_high": self.high,
            "successes": self.k,
            "unjudged": self.unjudged,
            "method": self.method,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON reports."""
        return asdict(self)


def _method_of(label: str) -> ProportionMethod:
    return "clopper-pearson" if label == "clopper-pearson" else "wilson"


def _check_counts(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


def proportion_ci(
    k: int,
    n: int,
    method: ProportionMethod = "wilson",
    alpha: float = 0.05,
) -> Interval:
    """Two-sided interval for ``k`` successes in ``n`` trials.

    Wilson is the default because it behaves at 0 and n (no zero-width Wald interval at
    0 % failures); Clopper-Pearson is the exact, conservative choice a regulator may ask for.
    With ``n == 0`` there is nothing to estimate: estimate and interval are ``None`` rather
    than the NaN statsmodels returns, so a report prints "no data" instead of a number.
    """
    _check_counts(k, n)
    if method not in _SM_METHOD:
        raise ValueError(f"unknown method {method!r}; use 'wilson' or 'clopper-pearson'")
    confidence = 1.0 - alpha
    if n == 0:
        return Interval(None, None, None, method, confidence)
    low, high = proportion_confint(k, n, alpha=alpha, method=_SM_METHOD[method])
    return Interval(k / n, float(low), float(high), method, confidence)


def rate(
    k: int,
    n: int,
    *,
    unjudged: int = 0,
    method: ProportionMethod = "wilson",
    confidence: float = 0.95,
    name: str = "",
) -> Rate:
    """Build a :class:`Rate`: ``k`` failures (or successes) among ``n`` judged items.

    ``unjudged`` is reported alongside, not added to ``n``: an item no judge could decide is
    unknown, and unknown is never counted as safe.
    """
    if unjudged < 0:
        raise ValueError("unjudged must be >= 0")
    iv = proportion_ci(k, n, method=method, alpha=1.0 - confidence)
    return Rate(k, n, iv.estimate, iv.low, iv.high, method, unjudged, name, confidence)


def one_sided_upper(k: int, n: int, confidence: float = 0.95) -> float:
    """Exact (Clopper-Pearson) one-sided upper bound on the true rate.

    This is the bound to cite for "the failure rate is at most X with C confidence". With
    ``n == 0`` the honest bound is 1.0 (no evidence rules nothing out).
    """
    _check_counts(k, n)
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    if n == 0 or k == n:
        return 1.0
    return float(_st.beta.ppf(confidence, k + 1, n - k))


def upper_bound_zero_failures(n: int, confidence: float = 0.95) -> float:
    """Upper bound on the failure rate after ``n`` trials with no failure.

    Equals ``1 - (1 - confidence) ** (1 / n)`` (≈ 3/n at 95 %, the "rule of three").
    """
    return one_sided_upper(0, n, confidence)


def zero_failure_sample_size(max_rate: float, confidence: float = 0.95) -> int:
    """Smallest ``n`` such that ``n`` trials with zero failures show the failure rate is
    at most ``max_rate`` with the given confidence: ``ceil(ln(1-C) / ln(1-max_rate))``.

    E.g. ≤ 0.5 % at 95 % needs 598 clean cases. The result is checked against the exact bound
    so floating-point rounding cannot make it one too small.
    """
    if not 0.0 < max_rate < 1.0:
        raise ValueError("max_rate must be in (0, 1)")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    n = max(1, math.ceil(math.log(1.0 - confidence) / math.log1p(-max_rate)))
    while upper_bound_zero_failures(n, confidence) > max_rate:
        n += 1
    while n > 1 and upper_bound_zero_failures(n - 1, confidence) <= max_rate:
        n -= 1
    return n
