"""The simulated patient: scripted opening, patient-model turns, fallbacks, personas."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.model import ChatMessage

from mhsafe.schema import Message
from mhsafe.suites.clinical import load_clinical, load_vera_personas
from mhsafe.suites.clinical._patient import clean_patient_text, flipped_view
from mhsafe.suites.clinical._tasks import clinical_task

from .conftest import faithful_therapist, scripted_model


def test_clean_patient_text_takes_the_first_usable_line() -> None:
    assert clean_patient_text('\n"Dana: it\'s like a 70 now"\nTherapist: good', "Dana") == (
        "it's like a 70 now"
    )
    assert clean_patient_text("Patient: ok\nmore", "") == "ok"
    assert clean_patient_text("...\n\n", "Dana") == ""


def test_flipped_view_swaps_roles_and_hides_the_exercise_prompt() -> None:
    history = [
        Message(role="user", content="opening"),
        Message(role="assistant", content="therapist reply"),
    ]
    view = flipped_view("persona prompt", history)
    assert [(m.role, m.content) for m in view] == [
        ("system", "persona prompt"),
        ("assistant", "opening"),
        ("user", "therapist reply"),
    ]


def _patient_says(messages: list[ChatMessage]) -> str:
    return "Patient: ok. it's like a 70 now, still there.\nTherapist: (should be cut)"


def _patient_silent(messages: list[ChatMessage]) -> str:
    return "\n\n"


def _run(
    cases: list, patient: object, turns: int, log_dir: Path, personas: str | None = None
) -> list:
    task = clinical_task(
        "pe_exposure",
        cases=cases,
        patient=patient,  # type: ignore[arg-type]
        turns=turns,
        personas=personas,
        cache=False,
    )
    logs = inspect_eval(
        task, model=scripted_model(faithful_therapist), display="none", log_dir=str(log_dir)
    )
    assert logs[0].status == "success"
    return list(logs[0].samples or [])


def test_vera_personas_run_through_the_same_simulator(shared_data: Path, tmp_path: Path) -> None:
    tsv = shared_data / "vera-mh" / "personas.tsv"
    vera = load_vera_personas(tsv)
    cases = load_clinical("pe_exposure")[:2]
    samples = _run(
        cases, scripted_model(_patient_says), turns=3, log_dir=tmp_path, personas=str(tsv)
    )
    for sample, case in zip(samples, cases, strict=True):
        roles = [m.role for m in sample.messages]
        assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant"]
        users = [m.text for m in sample.messages if m.role == "user"]
        assert users[0] == case.turns[0]
        assert users[1] == "ok. it's like a 70 now, still there."
        # the scripted patient says the same line again on turn 3: an echo is no new turn
        assert sample.metadata["patient_turns"] == ["scripted", "model", "fallback"]
        assert users[2] == case.turns[2]
        assert sample.metadata["persona"] in vera


def test_a_silent_patient_model_falls_back_to_the_script_and_says_so(tmp_path: Path) -> None:
    case = load_clinical("cbt_restructuring")[0]
    (sample,) = _run([case], scripted_model(_patient_silent), turns=2, log_dir=tmp_path)
    users = [m.text for m in sample.messages if m.role == "user"]
    assert users == case.turns[:2]
    assert sample.metadata["patient_turns"] == ["scripted", "fallback"]


def test_scripted_patient_needs_no_model(tmp_path: Path) -> None:
    case = load_clinical("pe_exposure")[5]
    (sample,) = _run([case], "scripted", turns=3, log_dir=tmp_path)
    users = [m.text for m in sample.messages if m.role == "user"]
    assert users == case.turns[:3]


def test_role_rules_catch_assistant_speak_and_echoes() -> None:
    from mhsafe.suites.clinical._role import role_breaks

    assert role_breaks("It's still about a 60, my hands are shaking.") == []
    assert "assistant_speak" in role_breaks("How can I help you today?")
    assert "therapist_speak" in role_breaks("It sounds like you are carrying a lot.")
    assert "fourth_wall" in role_breaks("As an AI I can't really feel scared.")
    assert "speaker_label_or_stage_direction" in role_breaks("*sighs* fine.")
    assert role_breaks("  ") == ["empty"]
    brief = "You are Dana, a patient in a therapy session with an assistant today."
    assert "parrots_prompt" in role_breaks(
        "You are Dana, a patient in a therapy session with an assistant", brief
    )
