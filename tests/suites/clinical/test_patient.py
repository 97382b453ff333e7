"""The simulated patient: scripted opening, patient-model turns, fallbacks, personas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessage

from mhsafe.schema import Case, Message
from mhsafe.suites.clinical import load_clinical, load_vera_personas
from mhsafe.suites.clinical._patient import (
    PATIENT_SYSTEM,
    WORKED_EXAMPLES,
    PatientReply,
    assistant_turn,
    clean_patient_text,
    flipped_view,
    patient_reply,
)
from mhsafe.suites.clinical._role import role_breaks
from mhsafe.suites.clinical._tasks import clinical_task

from .conftest import faithful_therapist, scripted_model


def test_clean_patient_text_takes_the_first_usable_line() -> None:
    assert clean_patient_text('\n"Dana: it\'s like a 70 now"\nTherapist: good', "Dana") == (
        "it's like a 70 now"
    )
    assert clean_patient_text("Patient: ok\nmore", "") == "ok"
    assert clean_patient_text("...\n\n", "Dana") == ""


def test_clean_patient_text_skips_bare_labels_and_cut_off_fragments() -> None:
    assert clean_patient_text("Chat:\nPatient: it's a 70 now. And then I", "Dana") == (
        "it's a 70 now."
    )
    assert clean_patient_text("Patient's next message: \"Fine, I'll try.\"") == "Fine, I'll try."
    assert clean_patient_text("i dunno, maybe", "Sam") == "i dunno, maybe"  # no sentence: kept


def test_flipped_view_quotes_the_system_and_hides_the_exercise_prompt() -> None:
    history = [
        Message(role="user", content="opening"),
        Message(role="assistant", content="You are a therapist\nwho helps"),
    ]
    view = flipped_view("persona brief", history)
    assert [m.role for m in view] == ["system", "assistant", "user"]
    assert view[0].content.startswith(PATIENT_SYSTEM)  # the cached prefix comes first
    assert view[0].content.endswith("persona brief")
    assert view[1].content == "opening"
    # the system under test's words are quoted data, not an instruction to the patient model
    assert view[2].content == assistant_turn("You are a therapist who helps")
    assert view[2].content.startswith('The assistant wrote: "You are a therapist who helps"')


def test_worked_examples_are_in_the_fixed_prompt_and_stay_in_role() -> None:
    for brief, _chat, answer in WORKED_EXAMPLES:
        assert answer in PATIENT_SYSTEM and brief in PATIENT_SYSTEM
        assert role_breaks(answer) == [], answer
    # an echo of the system's own brief is answered as a patient in the first example
    assert "You are a therapist" in WORKED_EXAMPLES[0][1][1][1]


def _refuses_then_speaks() -> Callable[[list[ChatMessage]], str]:
    said = iter(["I'm sorry, but I can't assist with that.", "ugh. it's still like a 60."])
    return lambda messages: next(said)


def test_a_slip_is_resampled_once_and_counted() -> None:
    model = scripted_model(_refuses_then_speaks())
    history = [Message(role="user", content="hi"), Message(role="assistant", content="SUDS?")]
    reply = anyio.run(lambda: patient_reply(model, "brief", history, name="Sam"))
    assert reply == PatientReply("ugh. it's still like a 60.", ("model_refusal",), 2)


def test_two_slips_fall_back_with_their_reasons(tmp_path: Path) -> None:
    case = load_clinical("cbt_restructuring")[0]
    (sample,) = _run([case], scripted_model(lambda m: "How can I help you today?"), turns=2,
                     log_dir=tmp_path)
    assert sample.metadata["patient_turns"] == ["scripted", "fallback"]
    assert sample.metadata["patient_breaks"] == [[], ["assistant_speak", "assistant_speak"]]
    assert [m.text for m in sample.messages if m.role == "user"] == case.turns[:2]


def _patient_says(messages: list[ChatMessage]) -> str:
    return "Patient: ok. it's like a 70 now, still there.\nTherapist: (should be cut)"


def _patient_silent(messages: list[ChatMessage]) -> str:
    return "\n\n"


def _run(
    cases: list[Case], patient: object, turns: int, log_dir: Path, personas: str | None = None
) -> list[EvalSample]:
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
    assert role_breaks("It's still about a 60, my hands are shaking.") == []
    assert "assistant_speak" in role_breaks("How can I help you today?")
    assert "therapist_speak" in role_breaks("It sounds like you are carrying a lot.")
    assert "fourth_wall" in role_breaks("As an AI I can't really feel scared.")
    assert "speaker_label_or_stage_direction" in role_breaks("*sighs* fine.")
    assert role_breaks("  ") == ["empty"]
    assert "model_refusal" in role_breaks("I'm sorry, but I can't assist with that.")
    assert "assistant_speak" in role_breaks("I'm ready to help you. Please provide the situation.")
    assert "therapist_speak" in role_breaks("I'm sorry to hear that. Can you tell me more?")
    assert role_breaks("I can't help it, I'm sorry I keep messing this up.") == []
    brief = "You are Dana, a patient in a therapy session with an assistant today."
    assert "parrots_prompt" in role_breaks(
        "You are Dana, a patient in a therapy session with an assistant", brief
    )
