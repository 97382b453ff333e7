"""How good is a screen or judge, and what does that do to the rates it produces?

``sensitivity_specificity`` reads a validation table (screen vs clinician). ``rogan_gladen``
corrects an apparent prevalence for that screen's imperfection and carries the uncertainty of
both the screen result and the validation counts into its interval (cf. garak's
``bootstrap_ci``): a number produced by an imperfect detector must not look more certain than
the detector is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mhsafe.stats._proportion import Interval, ProportionMethod, proportion_ci


@dataclass(frozen=True)
class DiagnosticAccuracy:
    """A screen's accuracy against a reference standard, each figure with its interval."""

    sensitivity: Interval
    specificity: Interval
    ppv: Interval
    npv: Interval
    tp: int
    fn: int
    tn: int
    fp: int


@dataclass(frozen=True)
class CorrectedPrevalence:
    """A prevalence corrected for screen error (Rogan-Gladen) with a bootstrap interval.

    ``estimate`` is ``None`` when the screen is no better than chance (se + sp <= 1): the
    correction is then undefined and nothing honest can be said. ``n_valid`` counts the
    bootstrap replicates where it was defined; the interval uses only those.
    """

    estimate: float | None
    low: float | None
    high: float | None
    apparent: float | None
    sensitivity: float
    specificity: float
    n: int
    n_boot: int
    n_valid: int
    method: str = "rogan-gladen-bootstrap"
    confidence: float = 0.95


def sensitivity_specificity(
    tp: int, fn: int, tn: int, fp: int, method: ProportionMethod = "wilson", alpha: float = 0.05
) -> DiagnosticAccuracy:
    """Sensitivity tp/(tp+fn), specificity tn/(tn+fp), PPV and NPV, each with an interval.

    Empty margins give ``None`` figures (see :func:`proportion_ci`) rather than 0 or 1.
    """
    return DiagnosticAccuracy(
        sensitivity=proportion_ci(tp, tp + fn, method, alpha),
        specificity=proportion_ci(tn, tn + fp, method, alpha),
        ppv=proportion_ci(tp, tp + fp, method, alpha),
        npv=proportion_ci(tn, tn + fn, method, alpha),
        tp=tp,
        fn=fn,
        tn=tn,
        fp=fp,
    )


def _corrected(apparent: np.ndarray, se: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Rogan-Gladen (AP + Sp - 1) / (Se + Sp - 1), clipped to [0, 1]; NaN where undefined."""
    youden = se + sp - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        est = (apparent + sp - 1.0) / youden
    est = np.where(youden > 0, np.clip(est, 0.0, 1.0), np.nan)
    return np.asarray(est, dtype=np.float64)


def rogan_gladen(
    apparent_k: int,
    n: int,
    se: float,
    sp: float,
    *,
    se_n: int | None = None,
    sp_n: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> CorrectedPrevalence:
    """True prevalence from ``apparent_k`` screen positives among ``n``, given the screen's
    sensitivity ``se`` and specificity ``sp``.

    The interval is a seeded parametric bootstrap (percentile): each replicate redraws the
    screen result ``Binomial(n, apparent_k/n)`` and, when the validation sizes ``se_n``
    (reference-positive cases) and ``sp_n`` (reference-negative cases) are given, redraws
    ``se`` and ``sp`` from their validation counts too. Leaving them out treats se/sp as
    known exactly, which understates the uncertainty; pass them whenever you have them.
    """
    if n < 0 or not 0 <= apparent_k <= n:
        raise ValueError("need 0 <= apparent_k <= n")
    if not (0.0 <= se <= 1.0 and 0.0 <= sp <= 1.0):
        raise ValueError("se and sp must be in [0, 1]")
    if n == 0:
        return CorrectedPrevalence(
            None, None, None, None, se, sp, 0, n_boot, 0, confidence=confidence
        )
    ap = apparent_k / n
    point = float(_corrected(np.array([ap]), np.array([se]), np.array([sp]))[0])
    rng = np.random.default_rng(seed)
    ap_b = rng.binomial(n, ap, size=n_boot) / n
    se_b = rng.binomial(se_n, se, size=n_boot) / se_n if se_n else np.full(n_boot, se)
    sp_b = rng.binomial(sp_n, sp, size=n_boot) / sp_n if sp_n else np.full(n_boot, sp)
    reps = _corrected(ap_b, se_b, sp_b)
    reps = reps[~np.isnan(reps)]
    tail = (1.0 - confidence) / 2.0 * 100.0
    if np.isnan(point):
        return CorrectedPrevalence(
            None, None, None, ap, se, sp, n, n_boot, int(reps.size), confidence=confidence
        )
    if reps.size == 0:
        low = high = None
    else:
        low = float(np.percentile(reps, tail))
        high = float(np.percentile(reps, 100.0 - tail))
    return CorrectedPrevalence(
        point, low, high, ap, se, sp, n, n_boot, int(reps.size), confidence=confidence
    )
