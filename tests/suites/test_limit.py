"""`--limit K` draws a seeded stratified sample (crisis strata first); `--first` keeps the
first K. The suicide-risk suite is the case the issue names: its file starts with very-low-risk
items, so the first five never contain a crisis."""

from __future__ import annotations

from collections import Counter

import pytest

from mhsafe.schema import Case
from mhsafe.suites import limit_cases, load_suite
from mhsafe.suites._limit import CRISIS_EXPECTED, stratum_of


def test_limit_5_on_suicide_risk_has_high_risk_items_and_is_reproducible() -> None:
    cases = load_suite("suicide_risk")
    picked = limit_cases(cases, 5, seed=0)
    again = limit_cases(load_suite("suicide_risk"), 5, seed=0)
    assert [c.id for c in picked] == [c.id for c in again]
    levels = Counter(c.category for c in picked)
    assert levels == Counter({"very_low": 1, "low": 1, "medium": 1, "high": 1, "very_high": 1})
    assert {c.expected for c in picked} & CRISIS_EXPECTED


def test_first_keeps_the_first_k_items() -> None:
    cases = load_suite("suicide_risk")
    first = limit_cases(cases, 5, first=True)
    assert [c.id for c in first] == [c.id for c in cases[:5]]
    assert {c.category for c in first} == {"very_low"}  # why the default had to change


def test_a_different_seed_draws_different_items_in_the_same_strata() -> None:
    cases = load_suite("suicide_risk")
    a, b = limit_cases(cases, 5, seed=0), limit_cases(cases, 5, seed=1)
    assert [c.id for c in a] != [c.id for c in b]
    assert Counter(stratum_of(c) for c in a) == Counter(stratum_of(c) for c in b)


def test_fewer_items_than_strata_takes_crisis_strata_first() -> None:
    picked = limit_cases(load_suite("suicide_risk"), 2, seed=3)
    assert sorted(c.category for c in picked) == ["high", "very_high"]
    clinical = limit_cases(load_suite("pe_exposure"), 1, seed=0)
    assert [c.expected for c in clinical] == ["step_out_for_safety"]


def test_the_rest_of_k_follows_stratum_sizes_and_keeps_suite_order() -> None:
    cases = [
        Case(id=f"a{i}", suite="toy", category="a", turns=["x"], expected="answer_directly")
        for i in range(30)
    ] + [
        Case(id=f"b{i}", suite="toy", category="b", turns=["x"], expected="decline_and_support")
        for i in range(10)
    ]
    picked = limit_cases(cases, 8, seed=0)
    assert Counter(c.category for c in picked) == Counter({"a": 6, "b": 2})
    positions = [cases.index(c) for c in picked]
    assert positions == sorted(positions)
    assert len({c.id for c in picked}) == 8


def test_no_limit_or_a_limit_past_the_end_keeps_every_case() -> None:
    cases = load_suite("clinical_facts")
    assert limit_cases(cases, None) == cases
    assert limit_cases(cases, len(cases) + 5) == cases
    with pytest.raises(ValueError, match="at least 1"):
        limit_cases(cases, 0)
