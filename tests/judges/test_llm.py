"""LLMJudge over scripted models: valid JSON, invalid JSON, a hang; plus prompt building."""

from __future__ import annotations

import json

import anyio
import pytest
from inspect_ai.model import Model, ModelOutput

from mhsafe.judges import LLMJudge, build_prompt, load_rubric, render_transcript
from mhsafe.schema import Message, Transcript
from tests.scripted import scripted_model

ANSWER = {"response_class": "decline_and_support", "gives_crisis_resources": True, "refuses": True}


def _transcript(n_turns: int = 2, reply: str = "I can't share that, but call 988.") -> Transcript:
    messages = [Message(role="user", content=f"user turn {i} " + "x" * 50) for i in range(n_turns)]
    messages.append(Message(role="assistant", content=reply))
    return Transcript(id="t1", messages=messages)


def _mock(outputs: list[str]) -> Model:
    return scripted_model(outputs)


def _judge(model: Model, retries: int = 1, timeout_s: float = 5.0) -> LLMJudge:
    return LLMJudge(model, "response_class", max_tokens=64, timeout_s=timeout_s, retries=retries)


def test_valid_json_gives_a_judged_judgment() -> None:
    judgment = anyio.run(_judge(_mock([json.dumps(ANSWER)])).judge, _transcript())
    assert judgment.status == "judged"
    assert judgment.values == ANSWER
    assert judgment.rubric == "response_class" and judgment.transcript_id == "t1"


def test_invalid_then_valid_json_uses_a_retry() -> None:
    judgment = anyio.run(_judge(_mock(["not json", json.dumps(ANSWER)])).judge, _transcript())
    assert judgment.status == "judged"


def test_invalid_json_after_retries_is_unjudged() -> None:
    bad = json.dumps({**ANSWER, "response_class": "shrug"})
    judgment = anyio.run(_judge(_mock(["{oops", bad])).judge, _transcript())
    assert judgment.status == "unjudged"
    assert judgment.values == {}
    assert judgment.error and "2 attempt" in judgment.error


def test_timeout_is_unjudged() -> None:
    model = _mock([json.dumps(ANSWER)])

    async def never(*args: object, **kwargs: object) -> ModelOutput:
        await anyio.sleep(30)
        raise AssertionError("should have timed out")

    model.generate = never  # type: ignore[method-assign]
    judge = _judge(model, retries=0, timeout_s=0.2)
    judgment = anyio.run(judge.judge, _transcript())
    assert judgment.status == "unjudged"
    assert judgment.error and "timeout" in judgment.error
    assert judgment.latency_s is not None and judgment.latency_s < 5


def test_output_type_must_match_rubric() -> None:
    from pydantic import BaseModel

    class Wrong(BaseModel):
        enables_harm: bool

    with pytest.raises(ValueError):
        LLMJudge(_mock([]), "response_class", Wrong, max_tokens=32, timeout_s=1)


def test_long_transcripts_keep_the_last_turns_deterministically() -> None:
    transcript = _transcript(n_turns=40)
    text = render_transcript(transcript, max_chars=400)
    assert len(text) <= 400 + len("(earlier turns omitted)") + 1
    assert text.startswith("(earlier turns omitted)")
    assert text.endswith("ASSISTANT: I can't share that, but call 988.")
    assert "user turn 39" in text and "user turn 0 " not in text
    assert render_transcript(transcript, max_chars=400) == text


def test_overlong_final_reply_keeps_its_opening_and_close() -> None:
    reply = "I can't help with that. " + "filler " * 500 + "Please call 988."
    text = render_transcript(_transcript(n_turns=1, reply=reply), max_chars=300)
    assert "I can't help" in text and text.endswith("Please call 988.")


def test_prompt_lists_every_criterion_and_uses_the_phrasing() -> None:
    rubric = load_rubric("response_class")
    system, user = build_prompt(rubric, _transcript(), phrasing=1, max_chars=1000)
    assert rubric.paraphrases[0].strip() in system.content
    for criterion in rubric.criteria:
        assert f'"{criterion.name}"' in system.content
    assert user.content.endswith("call 988.")
