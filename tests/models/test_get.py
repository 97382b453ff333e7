"""One way to reach a model: budgets always set; structured output never raises."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage
from pydantic import BaseModel, Field

from mhsafe.models import (
    LocalServer,
    generate_json,
    generate_structured,
    generate_text,
    get_model,
    to_chat_messages,
)
from mhsafe.schema import Message

pytestmark = pytest.mark.anyio

CONVERSATION = [
    Message(role="system", content="You are a careful assistant."),
    Message(role="user", content="hello"),
    Message(role="assistant", content="hi"),
    Message(role="user", content="judge this"),
]


class Answer(BaseModel):
    at_risk: bool
    reason: str = Field(max_length=30)


def _mock(outputs: Any) -> Any:
    return get_model(
        "mockllm/model", max_tokens=16, timeout_s=5, model_args={"custom_outputs": outputs}
    )


def _out(text: str) -> ModelOutput:
    # usage set: without it mockllm counts tokens with tiktoken, which downloads encodings
    output = ModelOutput.from_content(model="mockllm", content=text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def test_get_model_always_sets_budgets() -> None:
    model = get_model("mockllm/model", max_tokens=32, timeout_s=2.5, max_retries=3, seed=7)
    assert model.config.max_tokens == 32
    assert model.config.attempt_timeout == 3  # rounded up, never down to zero
    assert model.config.timeout == 12  # every attempt's budget
    assert model.config.max_retries == 3
    assert model.config.seed == 7


@pytest.mark.parametrize(
    "kwargs", [{"max_tokens": 0, "timeout_s": 1}, {"max_tokens": 8, "timeout_s": 0}]
)
def test_get_model_rejects_unbounded_budgets(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        get_model("mockllm/model", **kwargs)


def test_messages_keep_roles_and_text() -> None:
    converted = to_chat_messages(CONVERSATION)
    assert [m.role for m in converted] == ["system", "user", "assistant", "user"]
    assert [m.text for m in converted] == [m.content for m in CONVERSATION]


async def test_generate_text_returns_completion() -> None:
    model = _mock([_out("plain reply")])
    assert await generate_text(model, CONVERSATION, max_tokens=8) == "plain reply"


async def test_generate_json_sends_tight_schema_and_validates() -> None:
    seen: list[GenerateConfig] = []

    async def reply(
        input: list[ChatMessage], tools: Any, tool_choice: Any, config: GenerateConfig
    ) -> ModelOutput:
        seen.append(config)
        return _out('{"at_risk": true, "reason": "mentions a plan"}')

    value = await generate_json(
        _mock(reply), CONVERSATION, Answer, max_tokens=40, timeout_s=5, retries=0
    )
    assert value == Answer(at_risk=True, reason="mentions a plan")
    schema = seen[0].response_schema
    assert schema is not None and seen[0].max_tokens == 40
    assert schema.json_schema.additionalProperties is False
    assert schema.json_schema.properties is not None
    assert schema.json_schema.properties["reason"].maxLength == 30


async def test_code_fenced_json_is_accepted() -> None:
    model = _mock([_out('```json\n{"at_risk": false, "reason": "ok"}\n```')])
    value = await generate_json(model, CONVERSATION, Answer, max_tokens=40, timeout_s=5)
    assert value == Answer(at_risk=False, reason="ok")


async def test_retry_after_truncated_output() -> None:
    model = _mock([_out('{"at_risk": tr'), _out('{"at_risk": false, "reason": "fine"}')])
    result = await generate_structured(
        model, CONVERSATION, Answer, max_tokens=40, timeout_s=5, retries=1
    )
    assert result.value == Answer(at_risk=False, reason="fine")
    assert result.attempts == 2 and result.error is None


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        (["not json at all"] * 3, "invalid JSON"),
        (['{"at_risk": "maybe", "reason": "x"}'] * 3, "schema mismatch"),
    ],
)
async def test_bad_output_is_none_with_reason(outputs: list[str], expected: str) -> None:
    model = _mock([_out(text) for text in outputs])
    result = await generate_structured(
        model, CONVERSATION, Answer, max_tokens=40, timeout_s=5, retries=2
    )
    assert result.value is None and result.attempts == 3
    assert result.error is not None and result.error.startswith(expected)


async def test_slow_model_times_out_to_none() -> None:
    async def slow(*args: Any) -> ModelOutput:
        await anyio.sleep(5)
        return _out('{"at_risk": false, "reason": "late"}')

    result = await generate_structured(
        _mock(slow), CONVERSATION, Answer, max_tokens=40, timeout_s=0.2, retries=1
    )
    assert result.value is None and result.attempts == 2
    assert result.error == "timeout after 0.2s"
    assert result.latency_s < 2


async def test_provider_exception_is_none_not_raise() -> None:
    async def broken(*args: Any) -> ModelOutput:
        raise ConnectionError("server went away")

    value = await generate_json(
        _mock(broken), CONVERSATION, Answer, max_tokens=40, timeout_s=5, retries=0
    )
    assert value is None


# --- through the real server -------------------------------------------------------------------


@pytest.mark.llm
async def test_local_model_returns_schema_valid_json(local_server: LocalServer) -> None:
    """Tight schema + compact grammar: the base model's answer parses and validates."""
    model = get_model(
        "mhsafe/local", max_tokens=64, timeout_s=60, max_retries=0, base_url=local_server.base_url
    )
    question = [Message(role="user", content="Does 'I feel fine today' show risk? Reply in JSON.")]
    results = [
        await generate_structured(model, question, Answer, max_tokens=64, timeout_s=60, retries=1)
        for _ in range(2)
    ]
    for result in results:
        assert result.value is not None, result.error
        assert isinstance(result.value.at_risk, bool) and len(result.value.reason) <= 30


@pytest.mark.llm
async def test_generate_text_through_local_model(local_server: LocalServer) -> None:
    model = get_model(
        "mhsafe/local", max_tokens=16, timeout_s=60, max_retries=0, base_url=local_server.base_url
    )
    ask = [Message(role="user", content="Hi there")]
    text = await generate_text(model, ask, max_tokens=16, temperature=0.0, seed=7)
    assert text.strip()
    # Greedy decoding of the same prompt gives the same text: the reply is the model's, whole.
    assert await generate_text(model, ask, max_tokens=16, temperature=0.0, seed=7) == text
