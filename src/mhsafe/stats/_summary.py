"""Means, medians and survival curves (e.g. turns until a crisis response).

A mean is reported with a t interval (scipy); a survival curve is statsmodels' Kaplan-Meier
(``SurvfuncRight``) with Greenwood standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st
from statsmodels.duration.survfunc import SurvfuncRight


@dataclass(frozen=True)
class MeanCI:
    """A mean with its t interval. ``low``/``high`` are ``None`` below two values (no spread
    to estimate); everything is ``None`` with no values at all."""

    estimate: float | None
    low: float | None
    high: float | None
    n: int
    sd: float | None
    method: str = "t"
    confidence: float = 0.95


@dataclass(frozen=True)
class SurvivalCurve:
    """Kaplan-Meier step curve: ``survival[i]`` holds from ``times[i]`` until the next time.

    ``low``/``high`` are pointwise intervals on the log scale (R ``survfit``'s default);
    ``None`` where survival is 0 and the log interval is undefined.
    """

    times: list[float]
    survival: list[float]
    low: list[float | None]
    high: list[float | None]
    n_at_risk: list[int]
    n_events: list[int]
    n: int
    median: float | None
    confidence: float = 0.95


def _clean(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[~np.isnan(arr)]


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> MeanCI:
    """Mean with a Student-t interval (scipy ``t.interval``). NaNs are dropped (missing is not
    zero). With zero spread the interval collapses to the mean."""
    arr = _clean(values)
    n = int(arr.size)
    if n == 0:
        return MeanCI(None, None, None, 0, None, confidence=confidence)
    mean = float(arr.mean())
    if n == 1:
        return MeanCI(mean, None, None, 1, None, confidence=confidence)
    sd = float(arr.std(ddof=1))
    sem = float(_st.sem(arr))
    if sem == 0.0:
        return MeanCI(mean, mean, mean, n, sd, confidence=confidence)
    low, high = _st.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return MeanCI(mean, float(low), float(high), n, sd, confidence=confidence)


def median(values: Sequence[float]) -> float | None:
    """Median ignoring NaN; ``None`` for no values."""
    arr = _clean(values)
    return float(np.median(arr)) if arr.size else None


def kaplan_meier(
    durations: Sequence[float], events: Sequence[bool | int], confidence: float = 0.95
) -> SurvivalCurve:
    """Kaplan-Meier estimate for right-censored durations (``events`` True = the event was
    observed, False = censored, e.g. the conversation ended first)."""
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(events, dtype=np.float64)
    if t.shape != e.shape:
        raise ValueError("durations and events must have the same length")
    if t.size == 0:
        return SurvivalCurve([], [], [], [], [], [], 0, None, confidence)
    sf = SurvfuncRight(t, e)
    z = float(_st.norm.ppf(0.5 + confidence / 2.0))
    low: list[float | None] = []
    high: list[float | None] = []
    for s, se in zip(sf.surv_prob, sf.surv_prob_se, strict=True):
        if s <= 0.0:
            low.append(None)
            high.append(None)
            continue
        half = z * float(se) / float(s)  # log-scale interval: S * exp(+-z * se / S)
        low.append(max(0.0, float(s) * math.exp(-half)))
        high.append(min(1.0, float(s) * math.exp(half)))
    med = float(sf.quantile(0.5))
    return SurvivalCurve(
        times=[float(x) for x in sf.surv_times],
        survival=[float(x) for x in sf.surv_prob],
        low=low,
        high=high,
        n_at_risk=[int(x) for x in sf.n_risk],
        n_events=[int(x) for x in sf.n_events],
        n=int(t.size),
        median=None if math.isnan(med) else med,
        confidence=confidence,
    )
