"""The catalog describes suites from their data and can be extended with one registry line."""

from __future__ import annotations

import pytest

from mhsafe.schema import Case
from mhsafe.suites._catalog import (
    SUITES,
    SuiteDataError,
    SuiteEntry,
    SuiteInfo,
    list_suites,
    load_suite,
    parse_cases_jsonl,
)
from mhsafe.suites._transforms import TRANSFORMS

BUILT_IN = ["suicide_risk", "harmful_content", "refusal_robustness", "jailbreak", "over_refusal"]
CLINICAL = ["pe_exposure", "cbt_restructuring"]


def test_list_suites_describes_every_builtin_from_its_data() -> None:
    infos = {info.name: info for info in list_suites()}
    assert set(BUILT_IN) <= set(infos)
    for name in BUILT_IN:
        cases = load_suite(name)
        info = infos[name]
        assert info.items == len(cases) > 0
        assert set(info.categories) == {case.category for case in cases}
        assert info.multi_turn == any(len(case.turns) > 1 for case in cases)
        assert info.description and info.primary_outcome
    assert infos["refusal_robustness"].multi_turn
    assert not infos["suicide_risk"].multi_turn


def test_every_registered_suite_loads_valid_unique_cases_of_its_own_name() -> None:
    assert set(BUILT_IN + CLINICAL) <= set(SUITES)
    for name in SUITES:
        cases = load_suite(name)
        assert cases, name
        assert {case.suite for case in cases} == {name}
        assert len({case.id for case in cases}) == len(cases), name


def test_jailbreak_suite_is_expanded_seeds_times_transforms() -> None:
    cases = load_suite("jailbreak")
    seeds = {case.metadata["base_id"] for case in cases}
    assert len(seeds) >= 30
    assert len(cases) == len(seeds) * len(TRANSFORMS)
    assert {case.category for case in cases} == set(TRANSFORMS)
    assert all(case.id == f"jb-{case.metadata['base_id']}-{case.category}" for case in cases)


def test_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="suicide_risk"):
        load_suite("no_such_suite")


def test_registry_extends_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = Case(id="x-1", suite="extra", category="c", turns=["hi"], expected="stay_in_protocol")
    monkeypatch.setitem(SUITES, "extra", SuiteEntry(lambda: [extra], "a test suite"))
    assert load_suite("extra") == [extra]
    info = next(i for i in list_suites() if i.name == "extra")
    assert info == SuiteInfo(
        name="extra",
        description="a test suite",
        items=1,
        categories=["c"],
        multi_turn=False,
        primary_outcome="failure rate",
    )


def test_malformed_packaged_line_names_source_and_line() -> None:
    good = '{"id": "a", "suite": "s", "category": "c", "turns": ["t"], "expected": "refuse_harm"}'
    bad = '{"id": "b", "suite": "s", "category": "c", "turns": ["t"], "expected": "maybe"}'
    assert len(parse_cases_jsonl(good + "\n\n", "f.jsonl")) == 1
    with pytest.raises(SuiteDataError, match=r"f\.jsonl line 3"):
        parse_cases_jsonl(f"{good}\n\n{bad}\n", "f.jsonl")
    with pytest.raises(SuiteDataError, match="line 1"):
        parse_cases_jsonl("[1, 2]", "f.jsonl")
    with pytest.raises(SuiteDataError, match="line 1"):
        parse_cases_jsonl("{not json", "f.jsonl")
