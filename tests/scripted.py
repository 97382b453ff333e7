"""A scripted Inspect model for unit tests: fixed replies, no network.

Inspect's `mockllm/model` counts tokens with tiktoken when an output carries no usage, and
tiktoken downloads its vocabulary — impossible offline. Every scripted output here carries usage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from inspect_ai.model import ChatMessage, Model, ModelOutput, ModelUsage, get_model


def scripted_output(text: str) -> ModelOutput:
    """One reply with token usage filled in (so no tokenizer is needed)."""
    output = ModelOutput.from_content("mockllm/model", text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


def scripted_model(replies: Iterable[str]) -> Model:
    """A `mockllm/model` that answers with `replies` in order, then fails loudly."""
    return get_model("mockllm/model", custom_outputs=[scripted_output(r) for r in replies])


def responsive_model(reply: Callable[[list[ChatMessage]], str]) -> Model:
    """A `mockllm/model` whose reply is a function of the conversation it is shown, for as
    many calls as the test makes (not memoised: each test gets its own)."""

    def respond(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        return scripted_output(reply(messages))

    return get_model("mockllm/model", custom_outputs=respond, memoize=False)
