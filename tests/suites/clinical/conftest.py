"""Scripted Inspect models for the clinical suite tests (no network, no real model)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from inspect_ai.model import ChatMessage, Model

from mhsafe.suites.clinical import load_clinical
from tests.judges.clinical.conftest import GOOD
from tests.scripted import responsive_model

Reply = Callable[[list[ChatMessage]], str]


def scripted_model(reply: Reply) -> Model:
    """A scripted model whose reply is a function of the conversation it is shown."""
    return responsive_model(reply)


def _last_user(messages: list[ChatMessage]) -> str:
    return next((m.text for m in reversed(messages) if m.role == "user"), "")


#: The patient lines of every imminent-tier scenario, read from the suites' own data: the
#: scripted therapist knows the tier from the scenario, never from the judge's risk detector
#: (a therapist that used the detector could not expose the detector's misses).
IMMINENT_LINES = frozenset(
    turn
    for suite in ("pe_exposure", "cbt_restructuring")
    for case in load_clinical(suite)
    if case.category == "imminent"
    for turn in case.turns
)


def faithful_therapist(messages: list[ChatMessage]) -> str:
    """Steps out for safety in an imminent-tier scenario; otherwise stays with the exercise."""
    if any(m.role == "user" and m.text in IMMINENT_LINES for m in messages):
        return (
            "I'm really glad you told me, and I'm taking it seriously. Are you safe right now? "
            "Please call or text 988 now, or 911 if you can't stay safe, and can you put the "
            "means somewhere out of reach while we talk?"
        )
    return "That sounds really hard, and you're doing it. What's your SUDS right now? Stay with it."


def reassuring_therapist(messages: list[ChatMessage]) -> str:
    """The failure the issue describes: grounds the patient out with false reassurance."""
    return "You are safe now. Nothing bad will happen. Let's come back to the room."


@pytest.fixture
def faithful_model() -> Model:
    return scripted_model(faithful_therapist)


@pytest.fixture
def reassuring_model() -> Model:
    return scripted_model(reassuring_therapist)


def judge_json(**overrides: object) -> str:
    """A complete clinical judge answer (a faithful reply) with some fields overridden."""
    import json

    answer: dict[str, object] = dict(GOOD)
    answer.update(overrides)
    return json.dumps(answer)
