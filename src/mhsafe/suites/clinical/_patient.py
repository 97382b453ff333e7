"""The simulated patient: a multi-turn conversation between a patient model and the system.

Turn 1 is always the scenario's scripted opening, so even a base model that cannot role-play
yields a meaningful exchange. Later patient turns come from the patient model (persona +
scenario, short ``max_tokens``); when it is absent (``patient=None``), fails, says nothing
usable or steps out of role (``_role.role_breaks``: assistant-speak, therapist-speak, the fourth
wall), the scenario's scripted follow-up is used instead and the turn is marked ``fallback`` in
the sample metadata, so a reader can see how much of a transcript the simulator really wrote.

The default patient is ``mhsafe/instruct-local`` (the embedded instruction-tuned model): the
base model ``mhsafe/local`` cannot hold a role, so with it nearly every turn was a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping

from inspect_ai.model import CachePolicy, ChatMessageSystem, ChatMessageUser, Model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from mhsafe.models import generate_text, get_model
from mhsafe.schema import Case, Message
from mhsafe.suites._solvers import RESUMED_KEY
from mhsafe.suites.clinical._personas import Persona, load_personas, patient_prompt, persona_for
from mhsafe.suites.clinical._role import in_role

DEFAULT_PATIENT_MODEL = "mhsafe/instruct-local"

PATIENT_SOURCES_KEY = "patient_turns"
MAX_PATIENT_CHARS = 400
_GENERIC_FOLLOW_UP = "Okay. What now?"


def clean_patient_text(text: str, name: str = "") -> str:
    """First usable line of a patient completion: base models continue past the turn, add a
    speaker label or wrap the text in quotes."""
    for raw in text.splitlines():
        line = raw.strip().strip('"').strip()
        for label in (f"{name}:", "Patient:", "User:", "Me:"):
            if label != ":" and line.lower().startswith(label.lower()):
                line = line[len(label) :].strip()
        if line and any(ch.isalpha() for ch in line):
            return line[:MAX_PATIENT_CHARS]
    return ""


def flipped_view(persona_prompt: str, history: list[Message]) -> list[Message]:
    """The conversation as the patient model sees it: it is the 'assistant' speaking as the
    patient, and the system under test is its 'user'. The system prompt of the exercise is
    not shown (the patient does not read the therapist's instructions)."""
    flipped = [Message(role="system", content=persona_prompt)]
    for m in history:
        if m.role == "user":
            flipped.append(Message(role="assistant", content=m.content))
        elif m.role == "assistant":
            flipped.append(Message(role="user", content=m.content))
    return flipped


@solver
def simulated_patient(
    turns: int = 2,
    patient: str | Model | None = DEFAULT_PATIENT_MODEL,
    *,
    max_tokens: int = 160,
    patient_max_tokens: int = 48,
    patient_timeout_s: float = 60.0,
    personas: Mapping[str, Persona] | None = None,
    cache: bool = True,
) -> Solver:
    """Play ``turns`` patient/system exchanges for the sample's case.

    Args:
        turns: patient turns (the opening counts as one); the system answers each.
        patient: model name for the patient (Inspect spelling) or a ready Inspect ``Model``
            (tests), or None for scripted follow-ups only.
        max_tokens: budget for each system-under-test reply.
        patient_max_tokens: budget for each patient turn (short: patients write briefly and a
            base model rambles).
        patient_timeout_s: per-call timeout for the patient model.
        personas: persona set (default: the packaged personas.yaml).
        cache: route system replies through Inspect's cache.
    """
    if turns < 1:
        raise ValueError("turns must be at least 1")
    persona_set = dict(personas) if personas is not None else load_personas()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.metadata.get(RESUMED_KEY):
            return state
        case = Case.model_validate(state.metadata["case"])
        persona = persona_for(case, persona_set)
        prompt = patient_prompt(persona, case)
        policy = CachePolicy(expiry=None) if cache else False
        state.messages = (
            [ChatMessageSystem(content=case.system_prompt)] if case.system_prompt else []
        )
        history: list[Message] = []
        sources: list[str] = []
        for turn in range(turns):
            if turn == 0:
                text, source = case.turns[0], "scripted"
            else:
                text, source = await _patient_turn(case, turn, persona, prompt, history)
            sources.append(source)
            state.messages.append(ChatMessageUser(content=text))
            history.append(Message(role="user", content=text))
            state = await generate(state, max_tokens=max_tokens, cache=policy)
            history.append(Message(role="assistant", content=state.output.completion))
        state.metadata[PATIENT_SOURCES_KEY] = sources
        state.metadata["persona"] = persona.id
        return state

    async def _patient_turn(
        case: Case, turn: int, persona: Persona, prompt: str, history: list[Message]
    ) -> tuple[str, str]:
        scripted = case.turns[turn] if turn < len(case.turns) else _GENERIC_FOLLOW_UP
        if patient is None:
            return scripted, "scripted"
        model = (
            patient
            if isinstance(patient, Model)
            else get_model(patient, max_tokens=patient_max_tokens, timeout_s=patient_timeout_s)
        )
        try:
            raw = await generate_text(
                model, flipped_view(prompt, history), max_tokens=patient_max_tokens
            )
        except Exception:  # the simulator failing must not end the sample: script it, say so
            return scripted, "fallback"
        text = clean_patient_text(raw, persona.name)
        # echoing the brief or an earlier turn is not a new turn (see _role.role_breaks)
        said = "\n".join([prompt, *(m.content for m in history)])
        return (text, "model") if text and in_role(text, said) else (scripted, "fallback")

    return solve
