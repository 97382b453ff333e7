"""The OpenAI-compatible face of the safeguard: ``/v1/chat/completions``, ``/v1/models``,
``/health``.

Streaming is honest buffering: the output check needs the whole reply (a method can be spread
over several sentences, a number over several tokens), so the proxy waits for the upstream's
complete reply, checks it, and only then emits it as SSE chunks. A client sees a stream; nothing
unchecked ever leaves. The cost is time-to-first-token equal to the full generation time.

Errors keep OpenAI's shape (``{"error": {"message", "type", "code"}}``) so every OpenAI client
reports them plainly: 400 for a malformed request, 502/504 when the upstream failed or timed
out, 503 when the screen could not decide under the ``error`` policy.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.middleware.base import RequestResponseEndpoint

from mhsafe.schema import Message

from ._auth import OPEN_PATHS, KeyCheck, load_keys
from ._config import SafeguardConfig
from ._guard import GuardedTurn, Safeguard
from ._upstream import Upstream, UpstreamError, make_upstream

_ROLE_ALIASES = {"developer": "system"}
_CHUNK_CHARS = 48


class BadRequest(Exception):
    """A request the proxy cannot read; the message is safe to show (no user text)."""


def _error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def _text(content: Any) -> str:
    """OpenAI content: a string, or a list of parts of which the text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)
                 and p.get("type") == "text"]
        return "\n".join(str(t) for t in texts)
    raise BadRequest("message content must be a string or a list of content parts")


def parse_messages(raw: Any) -> list[Message]:
    """OpenAI messages -> mhsafe messages; tool turns are not supported by the safeguard."""
    if not isinstance(raw, list) or not raw:
        raise BadRequest("'messages' must be a non-empty list")
    out: list[Message] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest(f"messages[{index}] must be an object")
        role = _ROLE_ALIASES.get(str(item.get("role")), item.get("role"))
        if role not in ("system", "user", "assistant"):
            raise BadRequest(f"messages[{index}].role {role!r} is not supported")
        out.append(Message(role=role, content=_text(item.get("content"))))
    return out


def _usage(messages: list[Message], reply: str) -> dict[str, int]:
    """Whitespace word counts: the proxy has no tokenizer for an arbitrary upstream, and
    clients that read usage (Inspect) need the field present."""
    prompt = sum(len(m.content.split()) for m in messages)
    completion = len(reply.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _completion(turn: GuardedTurn, model: str, messages: list[Message]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": turn.reply},
            "finish_reason": "stop",
        }],
        "usage": _usage(messages, turn.reply),
        "mhsafe": _summary(turn),
    }


def _summary(turn: GuardedTurn) -> dict[str, Any]:
    """Decisions by rule id only: safe to return to the caller and to log."""
    return {
        "conversation_id": turn.conversation_id,
        "crisis_mode": turn.crisis_mode,
        "exercise": turn.exercise,
        "safety": turn.safety,
        "decisions": [d.model_dump() for d in turn.decisions],
    }


async def _sse(
    turn: GuardedTurn, model: str, messages: list[Message], include_usage: bool
) -> AsyncIterator[str]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None) -> str:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""}, None)
    for start in range(0, len(turn.reply), _CHUNK_CHARS):
        yield chunk({"content": turn.reply[start:start + _CHUNK_CHARS]}, None)
    yield chunk({}, "stop")
    if include_usage:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [], "usage": _usage(messages, turn.reply)}
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"


def create_proxy_app(
    upstream: str | Upstream,
    config: SafeguardConfig | None = None,
    *,
    upstream_base_url: str | None = None,
    upstream_api_key: str | None = None,
    safeguard: Safeguard | None = None,
    api_keys: list[str] | None = None,
) -> FastAPI:
    """The proxy app. ``upstream`` is an Inspect model name (or, with ``upstream_base_url``,
    a model served at that OpenAI-compatible URL), or a ready :class:`Upstream` object.

    Client keys: ``api_keys`` when given, else the keys ``config.auth`` names; with any key
    configured every path but ``/health`` needs ``Authorization: Bearer KEY`` (401 otherwise,
    in OpenAI's error shape). Whether an open app may bind a given host is the caller's check
    (:func:`mhsafe.safeguard.check_bind`; ``mhsafe proxy`` applies it)."""
    config = config or SafeguardConfig()
    if safeguard is None:
        model = (
            make_upstream(upstream, max_tokens=config.max_tokens,
                          timeout_s=config.upstream_timeout_s, base_url=upstream_base_url,
                          api_key=upstream_api_key)
            if isinstance(upstream, str) else upstream
        )
        safeguard = Safeguard(model, config)
    guard = safeguard
    config = guard.config
    app = FastAPI(title="mhsafe safeguard proxy", version="1")
    app.state.safeguard = guard
    keys = KeyCheck(api_keys if api_keys is not None else load_keys(config.auth))
    app.state.auth_required = keys.required

    @app.middleware("http")
    async def authenticate(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path in OPEN_PATHS or keys.allows(request.headers.get("authorization")):
            return await call_next(request)
        response = _error(401, "missing or invalid API key (send Authorization: Bearer KEY)",
                          "invalid_request_error", "invalid_api_key")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "upstream": guard.upstream.name, "layers": config.layers(),
                "locale": config.locale, "auth": keys.required}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{
            "id": config.model_id, "object": "model", "created": 0, "owned_by": "mhsafe"}]}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> JSONResponse | StreamingResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "request body is not JSON", "invalid_request_error", "bad_json")
        if not isinstance(body, dict):
            return _error(400, "request body must be an object", "invalid_request_error",
                          "bad_request")
        try:
            messages = parse_messages(body.get("messages"))
        except BadRequest as exc:
            return _error(400, str(exc), "invalid_request_error", "bad_messages")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        model = str(body.get("model") or config.model_id)
        try:
            turn = await guard.respond(
                messages,
                user=body.get("user") if isinstance(body.get("user"), str) else None,
                metadata=metadata,
                max_tokens=int(max_tokens) if isinstance(max_tokens, int) else None,
            )
        except UpstreamError as exc:
            message = (
                "the risk screen could not decide and the proxy is configured to refuse"
                if exc.kind == "screen_unresolved"
                else f"upstream model failed ({exc.kind}); no reply was passed on unchecked"
            )
            return _error(exc.status, message, "upstream_error", exc.kind)
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
            return StreamingResponse(_sse(turn, model, messages, include_usage),
                                     media_type="text/event-stream")
        return JSONResponse(_completion(turn, model, messages))

    return app


__all__ = ["BadRequest", "create_proxy_app", "parse_messages"]
