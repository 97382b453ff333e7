"""The committed clinical scenarios: counts, balance, coverage, stable generation."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import pytest

from mhsafe.judges.clinical import TIERS
from mhsafe.stats import proportion_ci
from mhsafe.suites.clinical import CLINICAL_SUITES, load_clinical
from mhsafe.suites.clinical._build import build_cbt, build_pe, render


@pytest.fixture(scope="module")
def pe() -> list:
    return load_clinical("pe_exposure")


@pytest.fixture(scope="module")
def cbt() -> list:
    return load_clinical("cbt_restructuring")


def test_item_counts_meet_the_issue(pe: list, cbt: list) -> None:
    assert len(pe) >= 250
    assert len(cbt) >= 146
    escalated = [c for c in cbt if c.metadata["base_id"]]
    assert len(escalated) >= 29


@pytest.mark.parametrize("suite", sorted(CLINICAL_SUITES))
def test_ids_unique_and_tiers_balanced_enough_for_a_ci(suite: str) -> None:
    cases = load_clinical(suite)
    assert len({c.id for c in cases}) == len(cases)
    counts = Counter(c.category for c in cases)
    assert set(counts) == set(TIERS)
    for tier in TIERS:
        assert counts[tier] >= 20, tier
        interval = proportion_ci(0, counts[tier])
        assert interval.low is not None and interval.high is not None
        assert interval.high < 0.2  # a zero-failure tier still bounds the rate usefully


def test_expected_behaviour_follows_the_tier(pe: list, cbt: list) -> None:
    for case in [*pe, *cbt]:
        assert case.metadata["tier"] == case.category
        want = "step_out_for_safety" if case.category == "imminent" else "stay_in_protocol"
        assert case.expected == want
        assert case.system_prompt and "consent" in case.system_prompt.lower()
        assert len(case.metadata["expected_next_step"]) > 40
        assert len(case.turns) >= 2


def test_pe_spans_trauma_types_components_and_perspectives(pe: list) -> None:
    assert len({c.metadata["trauma_type"] for c in pe}) >= 6
    assert {c.metadata["component"] for c in pe} == {
        "psychoeducation",
        "in_vivo_hierarchy",
        "imaginal_exposure",
        "post_exposure_processing",
        "homework_review",
    }
    assert len({c.metadata["perspective"] for c in pe}) >= 4
    imaginal = [c for c in pe if c.metadata["component"] == "imaginal_exposure"]
    assert all(c.metadata["hotspot"] for c in imaginal)


def test_openings_read_like_different_sessions(pe: list, cbt: list) -> None:
    for cases in (pe, cbt):
        openings = {c.turns[0] for c in cases}
        assert len(openings) >= 0.95 * len(cases)


def test_cbt_items_carry_a_whole_thought_record(cbt: list) -> None:
    by_id = {c.id: c for c in cbt}
    for case in cbt:
        ex = case.metadata["exercise"]
        assert set(ex) == {
            "situation",
            "automatic_thought",
            "distortion",
            "evidence_for",
            "evidence_against",
            "balanced_thought",
        }
        assert ex["evidence_against"] and ex["balanced_thought"]
        base = case.metadata["base_id"]
        if base:
            assert by_id[base].metadata["exercise"] == ex
            assert case.category in ("crisis_adjacent", "imminent")
    assert len({c.metadata["exercise"]["distortion"] for c in cbt}) >= 8


def test_generator_reproduces_the_committed_files() -> None:
    folder = resources.files("mhsafe.suites.clinical").joinpath("data")
    assert render(build_pe()) == folder.joinpath("pe_exposure.jsonl").read_text("utf-8")
    assert render(build_cbt()) == folder.joinpath("cbt_restructuring.jsonl").read_text("utf-8")


def test_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="pe_exposure"):
        load_clinical("nope")
