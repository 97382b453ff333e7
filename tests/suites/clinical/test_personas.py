"""Personas: ours from YAML and VERA-MH's TSV load into one shape for one simulator."""

from __future__ import annotations

from pathlib import Path

from mhsafe.suites.clinical import (
    load_clinical,
    load_personas,
    load_vera_personas,
    patient_prompt,
    persona_for,
)
from mhsafe.suites.clinical._personas import TIER_STATE


def test_every_scenario_persona_exists() -> None:
    personas = load_personas()
    for suite in ("pe_exposure", "cbt_restructuring"):
        for case in load_clinical(suite):
            assert case.metadata["persona"] in personas


def test_vera_personas_load_from_the_published_tsv(shared_data: Path) -> None:
    path = shared_data / "vera-mh" / "personas.tsv"
    personas = load_vera_personas(path)
    assert len(personas) == 10
    for p in personas.values():
        assert p.name and p.background and p.risk_level
        assert p.source == "file:personas.tsv"
    assert load_personas(path).keys() == personas.keys()


def test_outside_personas_spread_over_scenarios_stably(shared_data: Path) -> None:
    personas = load_vera_personas(shared_data / "vera-mh" / "personas.tsv")
    cases = load_clinical("pe_exposure")[:40]
    first = [persona_for(c, personas).id for c in cases]
    assert first == [persona_for(c, personas).id for c in cases]
    assert len(set(first)) >= 5


def test_patient_prompt_carries_persona_tier_and_scenario() -> None:
    case = load_clinical("cbt_restructuring")[0]
    persona = load_personas()[case.metadata["persona"]]
    prompt = patient_prompt(persona, case)
    assert persona.name in prompt
    assert TIER_STATE[case.metadata["tier"]] in prompt
    assert case.metadata["exercise"]["automatic_thought"] in prompt
    assert case.turns[0] not in prompt  # the opening is the first turn of the flipped view
    assert "next message" in prompt
