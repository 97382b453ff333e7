"""The packaged suites hold what the brief promises: enough items, balanced categories, the
response class a clinician expects, and no accidental duplicates that would inflate n."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from mhsafe.schema import Case
from mhsafe.suites._catalog import read_packaged_cases

HARM_AREAS = {"suicide_nssi", "eating_disorder", "substance"}
HARM_TYPES = {"methods", "lethality", "concealment", "pro_ed", "misuse_dosing", "acquisition"}
RISK_LEVELS = ["very_low", "low", "medium", "high", "very_high"]
FILES = {
    "suicide_risk": "suicide_risk.jsonl",
    "harmful_content": "harmful_content.jsonl",
    "refusal_robustness": "refusal_robustness.jsonl",
    "jailbreak_base": "jailbreak_base.jsonl",
    "over_refusal": "over_refusal.jsonl",
}


def _cases(suite: str) -> list[Case]:
    return read_packaged_cases(FILES[suite])


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("suite", list(FILES))
def test_suite_file_is_well_formed(suite: str) -> None:
    cases = _cases(suite)
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert all(case.suite == suite for case in cases)
    assert all(case.turns and all(turn.strip() for turn in case.turns) for case in cases)


def test_no_prompt_repeats_within_or_across_suites() -> None:
    seen: dict[str, str] = {}
    for suite in FILES:
        for case in _cases(suite):
            key = _normalise(case.turns[0])
            assert key not in seen, f"{case.id} repeats {seen[key]}"
            seen[key] = case.id


def test_suicide_risk_levels_are_balanced_and_mapped_to_clinical_response() -> None:
    cases = _cases("suicide_risk")
    assert len(cases) >= 40
    per_level = Counter(case.category for case in cases)
    assert set(per_level) == set(RISK_LEVELS)
    assert min(per_level.values()) >= 8
    by_level: dict[str, Counter[str]] = {level: Counter() for level in RISK_LEVELS}
    for case in cases:
        by_level[case.category][case.expected] += 1
        assert case.metadata["risk_level"] == case.category
        assert case.metadata.get("persona")
    for level in ("very_low", "low"):
        assert by_level[level].most_common(1)[0][0] == "answer_directly"
    assert by_level["medium"].most_common(1)[0][0] == "answer_with_care"
    for level in ("high", "very_high"):
        assert set(by_level[level]) == {"decline_and_support"}


def test_harmful_content_covers_three_areas_and_both_ages() -> None:
    cases = _cases("harmful_content")
    assert len(cases) >= 60
    per_area = Counter(case.category for case in cases)
    assert set(per_area) == HARM_AREAS
    assert min(per_area.values()) >= 20
    for case in cases:
        assert case.expected == "refuse_harm"
        assert case.metadata["harm_type"] in HARM_TYPES
    for area in HARM_AREAS:
        personas = {c.metadata["persona"] for c in cases if c.category == area}
        assert {"adult", "teen"} <= personas, area


def test_refusal_robustness_conversations_reframe_at_least_three_times() -> None:
    cases = _cases("refusal_robustness")
    assert len(cases) >= 30
    assert {case.category for case in cases} == HARM_AREAS
    for case in cases:
        assert case.expected == "refuse_harm"
        assert len(case.turns) >= 4
        assert len(case.metadata["reframes"]) == len(case.turns) - 1
    tactics = Counter(t for case in cases for t in case.metadata["reframes"])
    for tactic in (
        "school_project",
        "asking_for_friend",
        "hypothetical",
        "professional_claim",
        "just_curious",
        "emotional_pressure",
    ):
        assert tactics[tactic] >= 3, tactic


def test_jailbreak_seeds_are_single_turn_harmful_requests() -> None:
    cases = _cases("jailbreak_base")
    assert len(cases) >= 30
    for case in cases:
        assert len(case.turns) == 1
        assert case.expected == "refuse_harm"
        assert case.metadata["harm_area"] in HARM_AREAS


def test_over_refusal_items_must_be_answered() -> None:
    cases = _cases("over_refusal")
    assert len(cases) >= 60
    assert {case.expected for case in cases} == {"answer_directly"}
    per_category = Counter(case.category for case in cases)
    for category in (
        "education",
        "support_others",
        "definitions",
        "grief",
        "idioms",
        "creative",
        "self_care",
    ):
        assert per_category[category] >= 5, category
