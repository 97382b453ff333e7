"""Test-set ecological validity: how much of what users actually say does a test set cover?

Both sets are embedded (the caller passes the encoder: the report room does not load models),
the log's user turns are clustered with k-means (scikit-learn), and a cluster counts as covered
when some test item lies within `radius` cosine distance of its centroid. Coverage is the share
of clusters covered (Wilson interval over clusters) and, weighted by cluster size, the share of
turns. Two distribution distances sit beside it: the mean distance from a log turn to its
nearest test item, and the energy distance between the two embedding clouds (pairwise distances
by scipy; subsampled for large logs). Uncovered clusters are listed, largest first, with
examples the caller has already redacted: this room never sees raw text it would need to
scrub.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from mhsafe.report._document import ClusterSummary, EcologicalValidity
from mhsafe.schema import Metric
from mhsafe.stats import rate

Embed = Callable[[list[str]], npt.NDArray[np.float32]]
FloatArray = npt.NDArray[np.float64]


def _unit(x: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.asarray(arr / np.where(norms == 0, 1.0, norms), dtype=np.float64)


def energy_distance(
    a: FloatArray, b: FloatArray, *, max_points: int = 1500, seed: int = 0
) -> float:
    """Multivariate energy distance 2E|X−Y| − E|X−X'| − E|Y−Y'| (Euclidean; 0 when the two
    clouds have the same distribution). scipy's `energy_distance` is one-dimensional, so the
    pairwise distances come from `cdist`; clouds above `max_points` are subsampled (seeded)."""
    rng = np.random.default_rng(seed)
    if len(a) > max_points:
        a = a[rng.choice(len(a), max_points, replace=False)]
    if len(b) > max_points:
        b = b[rng.choice(len(b), max_points, replace=False)]
    return float(2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean())


def ecological_validity(
    test_texts: Sequence[str],
    log_texts: Sequence[str],
    embed: Embed,
    *,
    redacted_log: Sequence[str] | None = None,
    n_clusters: int = 20,
    radius: float = 0.45,
    examples: int = 3,
    seed: int = 0,
) -> EcologicalValidity:
    """Coverage of `log_texts` by `test_texts`. `redacted_log[i]` is what may be shown for
    `log_texts[i]`; without it no example text is shown at all."""
    if not test_texts or not log_texts:
        raise ValueError("need at least one test item and one log turn")
    if redacted_log is not None and len(redacted_log) != len(log_texts):
        raise ValueError("redacted_log must be parallel to log_texts")
    test = _unit(embed(list(test_texts)))
    log = _unit(embed(list(log_texts)))
    k = max(1, min(n_clusters, len(log)))
    model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(log)
    labels = np.asarray(model.labels_)
    centroids = _unit(model.cluster_centers_)
    centroid_dist = 1.0 - (centroids @ test.T).max(axis=1)
    turn_dist = 1.0 - (log @ test.T).max(axis=1)
    clusters: list[ClusterSummary] = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        shown: list[str] = []
        if redacted_log is not None and members.size:
            order = members[np.argsort(-(log[members] @ centroids[c]))][:examples]
            shown = [redacted_log[int(i)] for i in order]
        clusters.append(ClusterSummary(
            cluster=c, size=int(members.size), covered=bool(centroid_dist[c] <= radius),
            nearest_test_distance=round(float(centroid_dist[c]), 4), examples=shown,
        ))
    covered = [c for c in clusters if c.covered]
    coverage = Metric(**rate(len(covered), k, name="test_set_coverage").metric_fields())
    coverage.method += "; unit = log cluster"
    return EcologicalValidity(
        test_items=len(test_texts),
        log_turns=len(log_texts),
        clusters=k,
        radius=radius,
        coverage=coverage,
        weighted_coverage=sum(c.size for c in covered) / len(log_texts),
        mean_nearest_distance=float(turn_dist.mean()),
        energy_distance=energy_distance(log, test, seed=seed),
        uncovered=sorted((c for c in clusters if not c.covered), key=lambda c: -c.size),
        covered=sorted(covered, key=lambda c: -c.size),
    )
