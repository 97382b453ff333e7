"""Which conversations clinicians review: every flagged one, plus a sized random sample.

The sample exists to bound what the screen missed. Its size comes from the zero-failure rule:
if ``n`` randomly drawn unflagged conversations hold no miss, the miss rate among unflagged
conversations is at most ``max_rate`` with ``confidence`` (``n = ceil(ln(1-C)/ln(1-max_rate))``,
598 for 0.5 % at 95 %; ``mhsafe.stats.zero_failure_sample_size``). With strata (length bucket and
optional metadata field) the sample is allocated proportionally to stratum size, so it stays
self-weighting and the same bound applies to the whole unflagged population.

Why hash-ranked bottom-k: the population size is only known at the end of a streamed audit,
and a resumed run must draw the *same* sample. Each conversation gets a key from a seeded hash
of its id; each stratum keeps the ``n`` smallest keys seen (a bounded heap), and at the end
the ``n_s`` smallest of each stratum are taken. Equivalent to simple random sampling without
replacement within strata, deterministic, memory bounded by ``n`` per stratum.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Mapping
from typing import Any

from mhsafe.stats import zero_failure_sample_size

LENGTH_BUCKETS: tuple[tuple[int, str], ...] = ((4, "short"), (10, "medium"))


def review_sample_size(max_rate: float, confidence: float) -> int:
    """Unflagged conversations to review so that zero misses bounds the miss rate."""
    return zero_failure_sample_size(max_rate, confidence)


def length_bucket(n_messages: int) -> str:
    """``short`` (<= 4 messages), ``medium`` (<= 10), ``long``: misses hide in long chats."""
    for limit, name in LENGTH_BUCKETS:
        if n_messages <= limit:
            return name
    return "long"


def stratum_of(n_messages: int, metadata: Mapping[str, Any], stratify_by: str | None) -> str:
    """The stratum label: length bucket, plus ``field=value`` when a metadata field is named."""
    bucket = length_bucket(n_messages)
    if stratify_by is None:
        return bucket
    value = metadata.get(stratify_by)
    return f"{bucket}|{stratify_by}={'missing' if value is None else str(value)[:40]}"


def sample_key(seed: int, conversation_id: str) -> float:
    """A uniform [0, 1) key from a seeded hash: the same id and seed always draw the same."""
    digest = hashlib.blake2b(f"{seed}:{conversation_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def allocate(total: int, population: Mapping[str, int]) -> dict[str, int]:
    """Proportional allocation of ``total`` draws over strata (largest remainder), never more
    than a stratum holds; with fewer conversations than ``total``, every one is reviewed."""
    size = sum(population.values())
    if size <= total:
        return dict(population)
    quotas = {s: total * n / size for s, n in population.items()}
    alloc = {s: min(population[s], math.floor(q)) for s, q in quotas.items()}
    remaining = total - sum(alloc.values())
    order = sorted(population, key=lambda s: (-(quotas[s] - math.floor(quotas[s])), s))
    while remaining > 0:
        progressed = False
        for s in order:
            if remaining and alloc[s] < population[s]:
                alloc[s] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            break
    return alloc


class BottomK:
    """Per stratum, the ``k`` conversations with the smallest sample keys seen so far."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heaps: dict[str, list[tuple[float, str]]] = {}

    def offer(self, stratum: str, key: float, conversation_id: str) -> bool:
        """Keep the conversation if it is among the ``k`` smallest keys of its stratum; True
        when kept (the caller then saves its redacted text as a candidate)."""
        heap = self._heaps.setdefault(stratum, [])
        item = (-key, conversation_id)
        if len(heap) < self.k:
            heapq.heappush(heap, item)
            return True
        if item > heap[0]:
            heapq.heapreplace(heap, item)
            return True
        return False

    def chosen(self, allocation: Mapping[str, int]) -> set[tuple[str, str]]:
        """(stratum, conversation_id) of the ``allocation[s]`` smallest keys per stratum."""
        picked: set[tuple[str, str]] = set()
        for stratum, heap in self._heaps.items():
            want = allocation.get(stratum, 0)
            best = sorted((-neg, cid) for neg, cid in heap)[:want]
            picked.update((stratum, cid) for _, cid in best)
        return picked
