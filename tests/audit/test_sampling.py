"""Review sampling: size from the zero-failure formula, proportional strata, deterministic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mhsafe.audit import (
    BottomK,
    allocate,
    length_bucket,
    review_sample_size,
    sample_key,
    stratum_of,
)


@pytest.mark.parametrize(("max_rate", "confidence"),
                         [(0.005, 0.95), (0.01, 0.95), (0.001, 0.99), (0.05, 0.9)])
def test_sample_size_is_the_zero_failure_formula(max_rate: float, confidence: float) -> None:
    n = review_sample_size(max_rate, confidence)
    assert n == math.ceil(math.log(1 - confidence) / math.log(1 - max_rate))
    # And it is the smallest n whose zero-failure bound meets the target.
    assert 1 - (1 - confidence) ** (1 / n) <= max_rate < 1 - (1 - confidence) ** (1 / (n - 1))


@given(st.dictionaries(st.sampled_from(["short", "medium", "long", "x|k=1", "x|k=2"]),
                       st.integers(0, 5000), min_size=1), st.integers(1, 2000))
def test_allocation_is_proportional_and_exact(population: dict[str, int], total: int) -> None:
    alloc = allocate(total, population)
    size = sum(population.values())
    assert sum(alloc.values()) == min(total, size)
    for s, n in population.items():
        assert 0 <= alloc[s] <= n
        if size > total:
            assert abs(alloc[s] - total * n / size) < 1 + 1e-9


def test_bottom_k_picks_smallest_keys_per_stratum_regardless_of_order() -> None:
    ids = [f"c{i}" for i in range(500)]
    strata = {cid: ("short" if i % 3 else "long") for i, cid in enumerate(ids)}

    def pick(order: list[str]) -> set[tuple[str, str]]:
        sampler = BottomK(20)
        for cid in order:
            sampler.offer(strata[cid], sample_key(7, cid), cid)
        return sampler.chosen({"short": 12, "long": 8})

    forward, backward = pick(ids), pick(list(reversed(ids)))
    assert forward == backward
    for stratum, want in (("short", 12), ("long", 8)):
        members = sorted((sample_key(7, c), c) for c in ids if strata[c] == stratum)
        assert {c for s, c in forward if s == stratum} == {c for _, c in members[:want]}


def test_sample_key_is_seeded_and_uniform_enough() -> None:
    keys = [sample_key(1, f"id{i}") for i in range(4000)]
    assert keys[0] == sample_key(1, "id0") != sample_key(2, "id0")
    assert all(0 <= k < 1 for k in keys)
    assert abs(sum(keys) / len(keys) - 0.5) < 0.03


def test_strata_labels() -> None:
    assert [length_bucket(n) for n in (2, 4, 5, 10, 11)] == [
        "short", "short", "medium", "medium", "long"]
    assert stratum_of(6, {"channel": "app"}, "channel") == "medium|channel=app"
    assert stratum_of(12, {}, "channel") == "long|channel=missing"
    assert stratum_of(3, {"channel": "app"}, None) == "short"
