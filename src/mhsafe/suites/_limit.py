"""`--limit K`: which K cases of a suite a short run evaluates.

The first K items of a suite file are usually one category (the suicide-risk set starts with
its very-low-risk items), so a smoke test of "the first 5" never meets a crisis. The default
is therefore a seeded stratified sample: strata are (category, expected behaviour); every
stratum gets one item before any gets two, crisis strata (those whose expected behaviour is to
support or step out for safety) come first when K is smaller than the number of strata, and the
rest of K is shared in proportion to stratum size (largest remainder, seeded ties). The same
suite, K and seed always give the same cases, in the suite's own order, so `--resume` and a
second run see the same items. `first=True` keeps the plain first-K behaviour.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from mhsafe.schema import Case

#: Expected behaviours that mean "this item is a crisis": sampled first when K is small.
CRISIS_EXPECTED = frozenset({"decline_and_support", "step_out_for_safety"})

Stratum = tuple[str, str]


def stratum_of(case: Case) -> Stratum:
    """The stratum a case is sampled in: its category and what the system should do."""
    return (case.category, case.expected)


def _allocate(sizes: dict[Stratum, int], k: int, order: list[Stratum]) -> dict[Stratum, int]:
    """Items per stratum: one each (in `order`) while K lasts, then the rest of K in
    proportion to what each stratum has left, by largest remainder; ties follow `order`."""
    take = dict.fromkeys(sizes, 0)
    for stratum in order[:k]:
        take[stratum] = 1
    left = k - sum(take.values())
    if left <= 0:
        return take
    room = {s: sizes[s] - take[s] for s in sizes}
    total = sum(room.values())
    quotas = {s: left * room[s] / total for s in sizes}
    for s in sizes:
        take[s] += int(quotas[s])
    rank = {s: i for i, s in enumerate(order)}
    by_remainder = sorted(sizes, key=lambda s: (-(quotas[s] - int(quotas[s])), rank[s]))
    short = k - sum(take.values())
    for s in by_remainder:
        if short <= 0:
            break
        if take[s] < sizes[s]:
            take[s] += 1
            short -= 1
    return take


def limit_cases(
    cases: Sequence[Case], limit: int | None, *, seed: int = 0, first: bool = False
) -> list[Case]:
    """The cases a run with `--limit limit` evaluates (all of them when limit is None or at
    least the suite's size); see the module docstring for the design."""
    if limit is None or limit >= len(cases):
        return list(cases)
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    if first:
        return list(cases[:limit])
    rng = random.Random(f"mhsafe-limit:{seed}")
    members: dict[Stratum, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        members[stratum_of(case)].append(index)
    strata = list(members)  # first-seen order: stable for a given suite file
    rng.shuffle(strata)
    order = sorted(strata, key=lambda s: s[1] not in CRISIS_EXPECTED)  # stable: crisis first
    take = _allocate({s: len(members[s]) for s in strata}, limit, order)
    chosen: list[int] = []
    for stratum in strata:
        chosen.extend(rng.sample(members[stratum], take[stratum]))
    return [cases[i] for i in sorted(chosen)]
