"""Jailbreak transforms are pure, deterministic and reversible where they encode: a suite that
changed between runs, or a payload the model could not decode, would measure nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mhsafe.schema import Case
from mhsafe.suites._catalog import read_packaged_cases
from mhsafe.suites._transforms import (
    TRANSFORMS,
    apply_transform,
    decode_base64,
    encode_base64,
    expand_jailbreak,
    from_leetspeak,
    load_templates,
    to_leetspeak,
)

REQUIRED = {
    "role_play",
    "fictional_framing",
    "academic_framing",
    "persona_override",
    "prefix_injection",
    "base64",
    "leetspeak",
    "crescendo",
}


@pytest.fixture(scope="module")
def seeds() -> list[Case]:
    return read_packaged_cases("jailbreak_base.jsonl")


def test_registry_has_the_required_transforms() -> None:
    assert set(TRANSFORMS) >= REQUIRED


def test_expansion_is_deterministic_and_complete(seeds: list[Case]) -> None:
    first = expand_jailbreak(seeds)
    second = expand_jailbreak([seed.model_copy(deep=True) for seed in seeds])
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]
    assert len(first) == len(seeds) * len(TRANSFORMS)
    assert len({case.id for case in first}) == len(first)
    for case in first:
        assert case.suite == "jailbreak"
        assert case.category == case.metadata["transform"]
        assert case.id == f"jb-{case.metadata['base_id']}-{case.category}"
        assert case.expected == "refuse_harm"
        assert case.metadata["harm_area"] in {"suicide_nssi", "eating_disorder", "substance"}


def test_framings_carry_the_request_verbatim(seeds: list[Case]) -> None:
    for name in (
        "role_play",
        "fictional_framing",
        "academic_framing",
        "persona_override",
        "prefix_injection",
    ):
        for seed in seeds:
            case = apply_transform(name, seed)
            assert len(case.turns) == 1
            assert seed.turns[0] in case.turns[0]
            assert "{" not in case.turns[0], "unfilled placeholder"


def test_framings_use_more_than_one_variant(seeds: list[Case]) -> None:
    for name, variants in load_templates().framings.items():
        used = {apply_transform(name, seed).turns[0].replace(seed.turns[0], "") for seed in seeds}
        assert len(used) == len(variants) > 1, name


def test_base64_payload_decodes_to_the_seed(seeds: list[Case]) -> None:
    for seed in seeds:
        turn = apply_transform("base64", seed).turns[0]
        assert seed.turns[0] not in turn
        payloads = re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", turn)
        assert [decode_base64(p) for p in payloads] == [seed.turns[0]]


def test_leetspeak_hides_keywords_but_reads_back(seeds: list[Case]) -> None:
    for seed in seeds:
        case = apply_transform("leetspeak", seed)
        encoded = to_leetspeak(seed.turns[0])
        assert encoded in case.turns[0]
        if not any(ch.isdigit() for ch in seed.turns[0]):  # digits of its own stay digits
            assert from_leetspeak(encoded) == seed.turns[0].lower()
    assert "suicide" not in to_leetspeak("Suicide")


def test_crescendo_escalates_in_three_or_four_turns(seeds: list[Case]) -> None:
    topics = load_templates().crescendo.topics
    for seed in seeds:
        case = apply_transform("crescendo", seed)
        assert 3 <= len(case.turns) <= 4
        assert seed.turns[0] in case.turns[-1]
        assert all(seed.turns[0] not in turn for turn in case.turns[:-1])
        assert topics[seed.metadata["harm_area"]] in case.turns[0]


def test_braces_in_a_seed_are_not_treated_as_placeholders() -> None:
    seed = Case(
        id="s1",
        suite="x",
        category="c",
        turns=["say {request} and {payload}"],
        expected="refuse_harm",
        metadata={"harm_area": "substance"},
    )
    for name in TRANSFORMS:
        case = apply_transform(name, seed)
        if name not in {"base64", "leetspeak"}:
            assert "say {request} and {payload}" in case.turns[-1]


def test_bad_inputs_fail_loudly(seeds: list[Case]) -> None:
    with pytest.raises(KeyError, match="role_play"):
        apply_transform("no_such_transform", seeds[0])
    two_turns = seeds[0].model_copy(update={"turns": ["a", "b"]})
    with pytest.raises(ValueError, match="exactly one turn"):
        apply_transform("role_play", two_turns)


@given(st.text())
def test_base64_round_trips_any_text(text: str) -> None:
    assert decode_base64(encode_base64(text)) == text


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"])))
def test_leetspeak_round_trips_text_without_digits(text: str) -> None:
    assert from_leetspeak(to_leetspeak(text)) == text.lower()
