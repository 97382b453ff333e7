"""The model behind the proxy: any Inspect model, or an OpenAI-compatible endpoint.

Two roads to one small protocol. ``InspectUpstream`` goes through ``mhsafe.models.get_model``
(any provider Inspect knows; ``mhsafe/local`` starts the embedded server), with max_tokens and
a timeout always set. ``OpenAIUpstream`` talks to an OpenAI-compatible base URL directly with
``openai.AsyncOpenAI`` -- fewer layers, lower latency, and no Inspect machinery inside a web
server. Every failure (timeout, transport, HTTP error, empty choice list) becomes
:class:`UpstreamError` with a short kind, so the proxy can answer a clear 502 and never a reply
it did not check.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import anyio

from mhsafe.schema import Message


class UpstreamError(Exception):
    """The upstream model did not give a reply. ``kind`` is safe to show and log."""

    def __init__(self, kind: str, status: int = 502) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status


class Upstream(Protocol):
    """What the guard needs of a model: a name and one bounded completion."""

    name: str

    async def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        """The reply text; raises :class:`UpstreamError` on any failure."""
        ...


class CallableUpstream:
    """An async function as the upstream (tests, benchmarks, in-process models)."""

    def __init__(
        self,
        fn: Callable[[Sequence[Message], int], Awaitable[str]],
        *,
        name: str = "callable",
        timeout_s: float = 60.0,
    ) -> None:
        self.name = name
        self._fn = fn
        self._timeout_s = timeout_s

    async def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        try:
            with anyio.fail_after(self._timeout_s):
                return await self._fn(messages, max_tokens)
        except TimeoutError as exc:
            raise UpstreamError("upstream_timeout", 504) from exc
        except UpstreamError:
            raise
        except Exception as exc:
            raise UpstreamError(f"upstream_{type(exc).__name__}") from exc


class InspectUpstream:
    """Any Inspect model name (``mhsafe/local``, ``openai/gpt-4o``, ``openai-api/svc/m``)."""

    def __init__(self, name: str, *, max_tokens: int, timeout_s: float) -> None:
        from mhsafe.models import generate_text, get_model

        self.name = name
        # One attempt, bounded by the configured timeout: the proxy's timeout is the whole
        # wait a client sees (a retry inside it would double it silently).
        self._model = get_model(name, max_tokens=max_tokens, timeout_s=timeout_s, max_retries=0)
        self._generate = generate_text
        self._timeout_s = timeout_s

    async def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        try:
            with anyio.fail_after(self._timeout_s):
                return await self._generate(self._model, messages, max_tokens=max_tokens)
        except TimeoutError as exc:
            raise UpstreamError("upstream_timeout", 504) from exc
        except Exception as exc:
            raise UpstreamError(f"upstream_{type(exc).__name__}") from exc


class OpenAIUpstream:
    """An OpenAI-compatible ``/v1`` endpoint (llama.cpp, vLLM, a hosted API)."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        timeout_s: float,
        api_key: str | None = None,
        model: str | None = None,
    ) -> None:
        from openai import AsyncOpenAI

        self.name = name
        self._model = model or name.rsplit("/", 1)[-1]
        self._timeout_s = timeout_s
        # max_retries=0: the SDK retries timeouts by default, so a 60 s setting meant up to
        # 2 x 60 s plus backoff. The configured timeout is the whole budget.
        self._client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "mhsafe-proxy",
            timeout=timeout_s,
            max_retries=0,
        )

    async def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        import openai
        from openai.types.chat import ChatCompletion

        try:
            with anyio.fail_after(self._timeout_s):
                response = await self._client.chat.completions.create(
                    model=self._model,
                    messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                    max_tokens=max_tokens,
                    stream=False,
                )
        except (openai.APITimeoutError, TimeoutError) as exc:
            raise UpstreamError("upstream_timeout", 504) from exc
        except openai.APIStatusError as exc:
            raise UpstreamError(f"upstream_http_{exc.status_code}") from exc
        except openai.APIError as exc:
            raise UpstreamError(f"upstream_{type(exc).__name__}") from exc
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise UpstreamError("upstream_no_choices")
        return response.choices[0].message.content or ""


def make_upstream(
    name: str,
    *,
    max_tokens: int,
    timeout_s: float,
    base_url: str | None = None,
    api_key: str | None = None,
) -> Upstream:
    """``base_url`` given: talk OpenAI to it directly; otherwise resolve ``name`` through
    Inspect."""
    if base_url:
        return OpenAIUpstream(name, base_url=base_url, timeout_s=timeout_s, api_key=api_key)
    return InspectUpstream(name, max_tokens=max_tokens, timeout_s=timeout_s)


__all__ = [
    "CallableUpstream",
    "InspectUpstream",
    "OpenAIUpstream",
    "Upstream",
    "UpstreamError",
    "make_upstream",
]
