"""The one way mhsafe reaches a model: Inspect's model API with bounded budgets.

Every caller (suite targets, judges, the safeguard proxy) gets a model through `get_model`, so
every call has a max_tokens, a timeout and a retry budget: a hung or rambling model costs a
bounded amount of time and shows up as an error, never as a stalled run.

`generate_json` is the judges' door: it asks for a tight JSON schema (see `_schema`), validates
with pydantic, retries, and returns None instead of raising when the model's output is bad,
because a judge that could not answer is `unjudged` (counted and shown), never a crash and never
"safe".
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Model,
)
from inspect_ai.model import get_model as _inspect_get_model
from pydantic import BaseModel, ValidationError

from mhsafe.schema import Message

from ._schema import DEFAULT_MAX_STRING_LENGTH, response_schema_for

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


def get_model(
    name: str,
    *,
    max_tokens: int,
    timeout_s: float,
    max_retries: int = 2,
    base_url: str | None = None,
    model_args: Mapping[str, Any] | None = None,
    **config: Any,
) -> Model:
    """An Inspect `Model` for `name` (Inspect's spelling: `mhsafe/local`, `openai/gpt-4o`,
    `openai-api/<service>/<model>`, `mockllm/model`) with budgets always set.

    `timeout_s` bounds each attempt; the whole call (all attempts) is bounded by
    `timeout_s * (max_retries + 1)`. Extra keyword arguments are `GenerateConfig` fields
    (temperature, seed, stop_seqs, ...). `base_url` overrides the provider's endpoint;
    `model_args` go to the provider's constructor (Inspect's `-M`).
    """
    if max_tokens <= 0:
        raise ValueError("max_tokens must be positive")
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    attempt_s = max(1, math.ceil(timeout_s))
    generate_config = GenerateConfig(
        max_tokens=max_tokens,
        attempt_timeout=attempt_s,
        timeout=attempt_s * (max_retries + 1),
        max_retries=max_retries,
        **config,
    )
    return _inspect_get_model(
        name, config=generate_config, base_url=base_url, **dict(model_args or {})
    )


def to_chat_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    """mhsafe's wire type -> Inspect's chat messages (role for role)."""
    converted: list[ChatMessage] = []
    for message in messages:
        if message.role == "system":
            converted.append(ChatMessageSystem(content=message.content))
        elif message.role == "user":
            converted.append(ChatMessageUser(content=message.content))
        else:
            converted.append(ChatMessageAssistant(content=message.content))
    return converted


async def generate_text(
    model: Model, messages: Sequence[Message], *, max_tokens: int, **config: Any
) -> str:
    """The model's reply as plain text ('' when it said nothing). Extra keyword arguments are
    `GenerateConfig` fields for this call (temperature, seed, ...). Transport failures that
    survive Inspect's retries propagate: a target that cannot be reached is an error of the
    run, not a judgment about safety."""
    output = await model.generate(
        to_chat_messages(messages), config=GenerateConfig(max_tokens=max_tokens, **config)
    )
    return output.completion


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    """What a structured call produced: `value` or, when None, `error` says why (for
    `Judgment.error`); `attempts` and `latency_s` feed the judge's bookkeeping."""

    value: T | None
    error: str | None
    attempts: int
    latency_s: float


def _json_text(completion: str) -> str:
    """Strip a Markdown code fence that hosted models sometimes wrap JSON in."""
    text = completion.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


async def generate_structured(
    model: Model,
    messages: Sequence[Message],
    output_type: type[T],
    *,
    max_tokens: int,
    timeout_s: float,
    retries: int = 2,
    max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
) -> StructuredResult[T]:
    """Ask for one JSON object matching `output_type`; never raises for bad model output.

    Each attempt is bounded by `timeout_s`. An attempt fails on timeout, transport error,
    truncation (invalid JSON) or pydantic validation; after `retries + 1` failed attempts the
    result has `value=None` and the last error. Errors are logged by kind only: no
    conversation text reaches the logs.
    """
    schema = response_schema_for(output_type, max_string_length=max_string_length)
    config = GenerateConfig(max_tokens=max_tokens, response_schema=schema)
    chat = to_chat_messages(messages)
    began = time.monotonic()
    error: str | None = None
    attempts = 0
    for attempts in range(1, retries + 2):
        try:
            with anyio.fail_after(timeout_s):
                output = await model.generate(chat, config=config)
        except TimeoutError:
            error = f"timeout after {timeout_s:g}s"
        except Exception as exc:  # any provider failure is an unanswered attempt
            error = f"{type(exc).__name__} from model"
        else:
            try:
                value = output_type.model_validate_json(_json_text(output.completion))
            except ValidationError as exc:
                kind = "invalid JSON" if _is_json_error(exc) else "schema mismatch"
                error = f"{kind} (stop reason {output.stop_reason})"
            else:
                return StructuredResult(value, None, attempts, time.monotonic() - began)
        logger.warning(
            "structured output from %s failed (attempt %d/%d): %s",
            model,
            attempts,
            retries + 1,
            error,
        )
    return StructuredResult(None, error, attempts, time.monotonic() - began)


def _is_json_error(exc: ValidationError) -> bool:
    return any(err.get("type") == "json_invalid" for err in exc.errors())


async def generate_json(
    model: Model,
    messages: Sequence[Message],
    output_type: type[T],
    *,
    max_tokens: int,
    timeout_s: float,
    retries: int = 2,
) -> T | None:
    """`generate_structured(...).value`: the validated object, or None after `retries` (the
    caller marks the judgment `unjudged`)."""
    result = await generate_structured(
        model, messages, output_type, max_tokens=max_tokens, timeout_s=timeout_s, retries=retries
    )
    return result.value


__all__ = [
    "StructuredResult",
    "generate_json",
    "generate_structured",
    "generate_text",
    "get_model",
    "to_chat_messages",
]
