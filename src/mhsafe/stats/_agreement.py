"""Agreement between raters: judge vs clinician, clinician vs clinician, panel members.

statsmodels computes Cohen's and Fleiss' kappa, ``krippendorff`` computes alpha. This module
turns labels (strings, booleans, None for "not rated") into the tables those libraries want,
and puts an interval on every coefficient: a kappa without an interval is a rumour.
Fleiss and Krippendorff have no closed-form interval in those libraries, so theirs is a
seeded bootstrap over subjects/units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import krippendorff as _kd
import numpy as np
from scipy.stats import norm as _norm
from statsmodels.stats import inter_rater as _ir

Level = Literal["nominal", "ordinal", "interval"]
Label = Hashable | None


@dataclass(frozen=True)
class Agreement:
    """An agreement coefficient with its interval and the ``n`` it rests on.

    ``estimate`` is ``None`` when the coefficient is undefined (no data, or every rating in
    one category so chance agreement is total); ``low``/``high`` are ``None`` when no
    interval could be formed.
    """

    estimate: float | None
    low: float | None
    high: float | None
    n: int
    method: str
    confidence: float = 0.95
    dropped: int = 0  # subjects/pairs left out because a rating was missing


def _finite(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else v


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _ordered(labels: set[Any]) -> list[Any]:
    try:
        return sorted(labels)
    except TypeError:  # mixed types: any fixed order will do for nominal data
        return sorted(labels, key=repr)


def cohen_kappa(
    a: Sequence[Label],
    b: Sequence[Label],
    *,
    weights: Literal["linear", "quadratic"] | None = None,
    alpha: float = 0.05,
) -> Agreement:
    """Cohen's kappa between two raters over the same items (statsmodels ``cohens_kappa``),
    with its asymptotic (Wald) interval.

    Pairs where either rating is missing (``None``/NaN) are dropped and counted in
    ``dropped``. ``weights`` gives weighted kappa for ordered labels (labels are then sorted
    in their natural order).
    """
    if len(a) != len(b):
        raise ValueError("raters must rate the same items")
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (_is_missing(x) or _is_missing(y))]
    dropped = len(a) - len(pairs)
    method = f"cohen-{weights}" if weights else "cohen"
    cats = _ordered({x for x, _ in pairs} | {y for _, y in pairs})
    if len(cats) < 2:
        return Agreement(None, None, None, len(pairs), method, 1.0 - alpha, dropped)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)), dtype=np.int64)
    for x, y in pairs:
        table[index[x], index[y]] += 1
    res = _ir.cohens_kappa(table, wt=weights)
    kappa = _finite(res.kappa)
    std = _finite(res.std_kappa)
    # statsmodels fixes its interval at 95 %; the same Wald form at the caller's alpha,
    # clipped to kappa's range [-1, 1].
    half = None if std is None else float(_norm.ppf(1.0 - alpha / 2.0)) * std
    return Agreement(
        kappa,
        None if kappa is None or half is None else max(-1.0, kappa - half),
        None if kappa is None or half is None else min(1.0, kappa + half),
        len(pairs),
        method,
        1.0 - alpha,
        dropped,
    )


def aggregate_raters(data: Sequence[Sequence[Label]]) -> tuple[np.ndarray, list[Any]]:
    """Subjects x raters labels -> (subjects x categories count table, category order), the
    input :func:`fleiss_kappa` wants (statsmodels ``aggregate_raters`` after coding labels).

    Fleiss' kappa needs every subject rated the same number of times, so a missing rating is
    an error here; use :func:`krippendorff_alpha` when ratings are missing.
    """
    flat = [v for row in data for v in row]
    if any(_is_missing(v) for v in flat):
        raise ValueError("missing rating: use krippendorff_alpha for incomplete data")
    cats = _ordered(set(flat))
    index = {c: i for i, c in enumerate(cats)}
    coded = np.array([[index[v] for v in row] for row in data], dtype=np.int64)
    if coded.size == 0:
        return np.zeros((0, 0), dtype=np.int64), []
    table, _ = _ir.aggregate_raters(coded, n_cat=len(cats))
    return np.asarray(table, dtype=np.int64), cats


_MAX_UNDEFINED = 0.05


def _percentile_ci(
    stat: Callable[[np.ndarray], float],
    n_units: int,
    n_boot: int,
    seed: int,
    confidence: float,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap over units. A replicate where the statistic is undefined (a
    resample with a single category) cannot simply be skipped: the skipped ones are exactly
    the resamples of perfect agreement, so the rest sit on one side of the estimate and the
    interval ends at it (κ = -0.05 [-0.16, -0.05]). When more than ``_MAX_UNDEFINED`` of the
    replicates are undefined no interval is given; the coefficient is then shown without one."""
    if n_boot <= 0 or n_units < 2:
        return None, None
    rng = np.random.default_rng(seed)
    reps: list[float] = []
    for _ in range(n_boot):
        idx = rng.integers(0, n_units, size=n_units)
        try:
            v = stat(idx)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            continue
        if not math.isnan(v):
            reps.append(v)
    if not reps or (n_boot - len(reps)) > _MAX_UNDEFINED * n_boot:
        return None, None
    tail = (1.0 - confidence) / 2.0 * 100.0
    return float(np.percentile(reps, tail)), float(np.percentile(reps, 100.0 - tail))


def fleiss_kappa(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Agreement:
    """Fleiss' kappa for several raters (statsmodels ``fleiss_kappa``) from a subjects x
    categories count table (see :func:`aggregate_raters`), with a seeded bootstrap interval
    over subjects (``n_boot=0`` skips it)."""
    arr = np.asarray(table, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        return Agreement(None, None, None, 0, "fleiss", confidence)
    totals = arr.sum(axis=1)
    if not np.all(totals == totals[0]):
        raise ValueError("every subject must have the same number of ratings")

    def stat(idx: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(_ir.fleiss_kappa(arr[idx], method="fleiss"))

    est = _finite(stat(np.arange(arr.shape[0])))
    low, high = (None, None)
    if est is not None:
        low, high = _percentile_ci(stat, arr.shape[0], n_boot, seed, confidence)
    return Agreement(est, low, high, int(arr.shape[0]), "fleiss", confidence)


def _reliability_matrix(data: Sequence[Sequence[Any]] | np.ndarray, level: Level) -> np.ndarray:
    """Raters x units as floats with NaN for missing; nominal labels of any hashable type
    are coded to integers (the code order is irrelevant for nominal data)."""
    rows = [list(r) for r in data]
    if level != "nominal":
        return np.array(
            [[np.nan if _is_missing(v) else float(v) for v in r] for r in rows], dtype=np.float64
        )
    cats = _ordered({v for r in rows for v in r if not _is_missing(v)})
    index = {c: float(i) for i, c in enumerate(cats)}
    return np.array(
        [[np.nan if _is_missing(v) else index[v] for v in r] for r in rows], dtype=np.float64
    )


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Any]] | np.ndarray,
    level: Level = "nominal",
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Agreement:
    """Krippendorff's alpha (``krippendorff.alpha``) for raters x units data with missing
    ratings as ``None``/NaN, with a seeded bootstrap interval over units.

    ``n`` counts units with at least two ratings (only those are pairable); a unit rated once
    carries no agreement information. ``estimate`` is ``None`` when every rating is the same
    value (alpha is undefined, not perfect).
    """
    mat = _reliability_matrix(reliability_data, level)
    method = f"krippendorff-{level}"
    if mat.ndim != 2 or mat.size == 0:
        return Agreement(None, None, None, 0, method, confidence)
    rated = (~np.isnan(mat)).sum(axis=0)
    mat = mat[:, rated >= 2]
    n_units = int(mat.shape[1])

    def stat(idx: np.ndarray) -> float:
        return float(_kd.alpha(reliability_data=mat[:, idx], level_of_measurement=level))

    try:
        est = _finite(stat(np.arange(n_units))) if n_units else None
    except ValueError:  # one value in the whole domain: alpha undefined
        est = None
    low, high = (None, None)
    if est is not None:
        low, high = _percentile_ci(stat, n_units, n_boot, seed, confidence)
    return Agreement(est, low, high, n_units, method, confidence, int((rated < 2).sum()))
