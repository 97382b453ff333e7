"""Inspect model providers `mhsafe/local` (the embedded Gemma 3 270M base model) and
`mhsafe/instruct-local` (the embedded Qwen2.5-Coder-1.5B-Instruct, optional extra
`mhsafe[instruct]`), both on llama.cpp.

Importing this module registers the provider (the `inspect_ai` entry point module
`mhsafe._registry` imports it), so `inspect eval --model mhsafe/local` and
`get_model("mhsafe/instruct-local")` both work. Both names share one class: what differs is
which server is started (and which `MHSAFE_*_BASE_URL` overrides it) and the name it reports.

It is Inspect's OpenAI-compatible provider with defaults that suit a small *base* model:

* the server starts lazily on the first `generate` (not at construction, so listing tasks or
  building a config never loads weights), or `MHSAFE_LOCAL_BASE_URL` / `base_url` points at
  one that is already running;
* `max_tokens` defaults to 256 when the caller set none: a base model does not stop by itself;
* every HTTP attempt has a client timeout (120 s unless `-M client_timeout=...`);
* structured output keeps `maxLength`/`minimum`/`maximum` (llama.cpp enforces them; Inspect
  strips them for unknown OpenAI-compatible servers) and turns off flexible whitespace in the
  grammar, which otherwise lets the model emit newlines until max_tokens.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
from inspect_ai.model import GenerateConfig, ModelOutput
from inspect_ai.model._chat_message import ChatMessage
from inspect_ai.model._model import ModelAPI
from inspect_ai.model._model_call import ModelCall
from inspect_ai.model._providers.openai_compatible import OpenAICompatibleAPI
from inspect_ai.model._registry import modelapi
from inspect_ai.tool import ToolChoice, ToolInfo
from typing_extensions import override

from ._instruct_server import (
    INSTRUCT_BASE_URL_ENV,
    INSTRUCT_PARALLEL,
    ensure_instruct_server,
    instruct_base_url_if_running,
)
from ._local_server import (
    BASE_URL_ENV,
    ensure_local_server,
    normalize_base_url,
    shared_base_url_if_running,
)

MODEL_NAME = "local"
INSTRUCT_MODEL_NAME = "instruct-local"
DEFAULT_MAX_TOKENS = 256
DEFAULT_CLIENT_TIMEOUT_S = 120.0
DEFAULT_MAX_CONNECTIONS = 8  # two requests queued per slot keeps 4 slots busy
_UNSTARTED_URL = "http://127.0.0.1:9/v1"  # discard port: fails fast if ever used unstarted


def _no_flexible_whitespace(schema: dict[str, Any]) -> dict[str, Any]:
    """Tell llama.cpp's llguidance grammar to emit compact JSON (see module doc)."""
    guidance = dict(schema.get("x-guidance") or {})
    guidance.setdefault("whitespace_flexible", False)
    return {**schema, "x-guidance": guidance}


class LocalModelAPI(OpenAICompatibleAPI):
    """`mhsafe/local`: OpenAI-compatible client for the embedded llama.cpp server."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        if model_name not in (MODEL_NAME, INSTRUCT_MODEL_NAME):
            raise ValueError(
                f"unknown mhsafe model {model_name!r}; use 'local' or '{INSTRUCT_MODEL_NAME}'"
            )
        self._instruct = model_name == INSTRUCT_MODEL_NAME
        env = INSTRUCT_BASE_URL_ENV if self._instruct else BASE_URL_ENV
        explicit = base_url or os.environ.get(env)
        self._lazy_server = not explicit
        self._server_lock = anyio.Lock()
        client_timeout = float(model_args.pop("client_timeout", DEFAULT_CLIENT_TIMEOUT_S))
        model_args.pop("service", None)
        model_args.setdefault("stream", False)
        super().__init__(
            model_name=model_name,
            base_url=normalize_base_url(explicit) if explicit else _UNSTARTED_URL,
            api_key=api_key or "mhsafe-local",
            config=config or GenerateConfig(),
            service="mhsafe",
            client_timeout=client_timeout,
            **model_args,
        )

    async def _point_at_server(self) -> None:
        """Start (or re-find) the shared server and aim the client at it. The fast path is a
        process check, so calling this before every request is cheap; a replaced server
        (crash, restart on a new port) is picked up on the next request."""
        if not self._lazy_server:
            return
        running = instruct_base_url_if_running if self._instruct else shared_base_url_if_running
        ensure = ensure_instruct_server if self._instruct else ensure_local_server
        url = running()
        if url is None:
            async with self._server_lock:
                url = running()
                if url is None:
                    url = await anyio.to_thread.run_sync(ensure)
        if url != self.base_url:
            self.base_url = url
            self.client.base_url = url

    @override
    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput | tuple[ModelOutput | Exception, ModelCall]:
        await self._point_at_server()
        return await super().generate(input, tools, tool_choice, config)

    @override
    def completion_params(self, config: GenerateConfig, tools: bool) -> dict[str, Any]:
        params = super().completion_params(config, tools)
        if self._instruct and params.get("temperature") is None:
            # greedy unless asked otherwise: a judge's answer (and a simulated patient's turn)
            # must be repeatable; llama.cpp's own default would sample at 0.8
            params["temperature"] = 0.0
        response_format = params.get("response_format")
        if isinstance(response_format, dict):
            spec = dict(response_format.get("json_schema") or {})
            if isinstance(spec.get("schema"), dict):
                spec["schema"] = _no_flexible_whitespace(spec["schema"])
            params["response_format"] = {
                **response_format,
                "json_schema": {k: v for k, v in spec.items() if v is not None},
            }
        return params

    @property
    @override
    def schema_exclude_fields(self) -> set[str] | None:
        return None  # llama.cpp enforces maxLength, minimum, maximum, pattern

    @override
    def max_tokens(self) -> int | None:
        return DEFAULT_MAX_TOKENS

    @override
    def max_connections(self) -> int:
        # two requests queued per slot keep every slot busy without deep queues
        return 2 * INSTRUCT_PARALLEL if self._instruct else DEFAULT_MAX_CONNECTIONS

    @override
    def canonical_name(self) -> str:
        return "qwen2.5-coder-1.5b-instruct" if self._instruct else "gemma-3-270m"


@modelapi(name="mhsafe")
def mhsafe() -> type[ModelAPI]:
    """Registry hook: `mhsafe/local` and `mhsafe/instruct-local` resolve to `LocalModelAPI`."""
    return LocalModelAPI
