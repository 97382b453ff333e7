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

from mhsafe.openai_chat import ChatFormatError, check_id, is_bad_utf8, to_messages
from mhsafe.schema import Message

from ._auth import OPEN_PATHS, KeyCheck, load_keys
from ._config import SafeguardConfig
from ._guard import GuardedTurn, Safeguard
from ._upstream import Upstream, UpstreamError, make_upstream

_CHUNK_CHARS = 48
#: Deeper JSON than this is not a chat request (OpenAI's own shapes nest four levels).
_MAX_DEPTH = 32


class BadRequest(Exception):
    """A request the proxy cannot read; the message is safe to show (no user text)."""

    def __init__(self, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.code = code


def _error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def parse_messages(raw: Any) -> list[Message]:
    """OpenAI messages -> mhsafe messages through the one adapter (:mod:`mhsafe.openai_chat`):
    the roles, aliases and content parts the audit reads; anything else (a ``tool`` turn, an
    image-only content) is a :class:`BadRequest`, never a turn silently dropped."""
    try:
        return to_messages(raw)
    except ChatFormatError as exc:
        where = f" ({exc.detail})" if exc.detail else ""
        raise BadRequest(f"'messages' cannot be read: {exc.reason}{where}", "bad_messages") from exc


def _check_shape(body: Any) -> None:
    """Refuse what would crash later: nesting beyond ``_MAX_DEPTH`` and strings that are not
    valid Unicode (a lone surrogate from a ``\\ud800`` escape cannot be logged, hashed or
    sent upstream). Iterative, so a deep body cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise BadRequest(f"request body nests deeper than {_MAX_DEPTH} levels", "too_deep")
        if isinstance(value, str):
            if is_bad_utf8(value):
                raise BadRequest("request body holds invalid Unicode (a lone surrogate)",
                                 "invalid_utf8")
        elif isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) past ``limit`` bytes before it is held whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _TooLarge(Exception):
    """The request body is over ``max_request_bytes``."""


def _parse_body(raw: bytes) -> dict[str, Any]:
    """JSON object or :class:`BadRequest` (never a 500: bad bytes, bad JSON, a nesting the
    parser cannot follow, an over-long number and a non-object all say what was wrong)."""
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("request body nests too deeply", "too_deep") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest("request body is not UTF-8", "invalid_utf8") from exc
    except ValueError as exc:
        raise BadRequest("request body is not JSON", "bad_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object", "bad_request")
    _check_shape(body)
    return body


def _user(body: dict[str, Any]) -> str | None:
    """``user``, refused when it could not be a conversation id (no silent truncation into
    somebody else's id)."""
    value = body.get("user")
    if value is None:
        return None
    checked = check_id(value) if isinstance(value, str) else ("bad_id", type(value).__name__)
    if not isinstance(checked, str):
        raise BadRequest(f"'user' is not a usable id ({checked[0]})", "bad_user")
    return checked


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    metadata = body.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be an object", "bad_metadata")
    given = metadata.get("conversation_id")
    if given is not None:
        checked = check_id(given)
        if not isinstance(checked, str):
            raise BadRequest(f"'metadata.conversation_id' is not a usable id ({checked[0]})",
                             "bad_conversation_id")
        metadata = {**metadata, "conversation_id": checked}
    return metadata


def _max_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest("'max_tokens' must be a positive integer", "bad_max_tokens")
    return value


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
    docs = config.serve_docs
    app = FastAPI(title="mhsafe safeguard proxy", version="1",
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.safeguard = guard
    keys = KeyCheck(api_keys if api_keys is not None else load_keys(config.auth))
    app.state.auth_required = keys.required

    @app.middleware("http")
    async def authenticate(request: Request, call_next: RequestResponseEndpoint) -> Response:
        header = request.headers.get("authorization")
        client = keys.client_of(header) if keys.required else None
        request.state.client = client
        if request.url.path in OPEN_PATHS or not keys.required or client is not None:
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
            raw = await _read_body(request, config.max_request_bytes)
        except _TooLarge:
            return _error(413, f"request body is over {config.max_request_bytes} bytes",
                          "invalid_request_error", "request_too_large")
        try:
            body = _parse_body(raw)
            messages = parse_messages(body.get("messages"))
            metadata = _metadata(body)
            user = _user(body)
            max_tokens = _max_tokens(body)
        except BadRequest as exc:
            return _error(400, str(exc), "invalid_request_error", exc.code)
        model = str(body.get("model") or config.model_id)
        try:
            turn = await guard.respond(messages, user=user, metadata=metadata,
                                       max_tokens=max_tokens, client=request.state.client)
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
