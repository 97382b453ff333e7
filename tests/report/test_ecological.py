"""Ecological validity on a controlled embedding: a log topic the test set never asks about
is found uncovered and shown only through the caller's redaction."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from mhsafe.report import ecological_validity, energy_distance

TOPICS = ("sleep", "exam", "rent")


def _embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """Topic one-hot plus a little deterministic jitter: texts of one topic sit together."""
    rng = np.random.default_rng(0)
    out = np.zeros((len(texts), 8), dtype=np.float32)
    for i, text in enumerate(texts):
        topic = next(j for j, t in enumerate(TOPICS) if t in text)
        out[i, topic] = 1.0
        out[i, 3:] = rng.normal(0, 0.05, 5)
    return out


def test_uncovered_topic_is_found_with_redacted_examples() -> None:
    test = [f"question about {t} {i}" for t in ("sleep", "exam") for i in range(5)]
    log = [f"user says {t} number {i} call 0700 900 {i:03d}" for t in TOPICS for i in range(30)]
    redacted = [line.split(" call ")[0] + " call [PHONE]" for line in log]
    result = ecological_validity(test, log, _embed, redacted_log=redacted, n_clusters=3)
    assert result.clusters == 3 and result.coverage.successes == 2 and result.coverage.n == 3
    assert abs(result.weighted_coverage - 2 / 3) < 1e-9
    [gap] = result.uncovered
    assert gap.size == 30 and all("rent" in x and "[PHONE]" in x for x in gap.examples)
    assert all("0700" not in x for c in result.uncovered + result.covered for x in c.examples)
    assert result.energy_distance > 0


def test_no_examples_without_redaction() -> None:
    log = [f"{t} {i}" for t in TOPICS for i in range(10)]
    result = ecological_validity(["sleep q"], log, _embed, n_clusters=3)
    assert all(not c.examples for c in result.uncovered + result.covered)


def test_energy_distance_is_zero_for_the_same_cloud() -> None:
    cloud = np.random.default_rng(1).normal(size=(50, 4))
    assert energy_distance(cloud, cloud) == pytest.approx(0.0, abs=1e-12)
    assert energy_distance(cloud, cloud + 3.0) > 1.0
