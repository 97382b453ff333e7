"""A fault-injecting OpenAI-compatible server on 127.0.0.1 (test infrastructure).

Why it exists: a safety tool must be judged on what it does when the model it talks to misbehaves
-- rate limits, 5xx, hung connections, bodies cut mid-stream, garbage instead of JSON. Hosted
APIs do all of these at low rates; this server does them at a chosen rate so a test can show
that every item still ends judged or `unjudged`, none lost, and that retries stop.

What it serves: ``POST /v1/chat/completions`` (``/chat/completions`` too) and ``GET /health``,
``GET /stats``. A healthy reply is deterministic in the request (never in request order), so a
killed-and-resumed run can be compared with an uninterrupted one:

- with ``response_format`` of type ``json_schema`` the reply is a minimal instance of that schema
  whose booleans are drawn from a hash of the conversation (so a judge panel answers);
- otherwise one of a few canned assistant replies, chosen by a hash of the last user turn.

Faults (``FAULT_KINDS``), drawn per request with probability ``fault_rate`` from a seeded RNG:

- ``rate_limit``: HTTP 429 with an OpenAI error body and ``Retry-After: 0``;
- ``server_error``: HTTP 500 with an OpenAI error body;
- ``timeout``: accept, then say nothing for ``hang_s`` seconds and drop the connection;
- ``truncated_body``: HTTP 200 whose JSON body stops half-way (``Content-Length`` promises more);
- ``invalid_body``: HTTP 200 with a body that is not JSON at all;
- ``truncated_content``: a well-formed completion whose *content* is cut off (``finish_reason``
  ``length``) -- what a judge sees when a model runs out of tokens mid-JSON.

No request text is logged or kept: ``stats`` counts outcomes only.

Run it by hand: ``python bench/fault_server.py --fault-rate 0.3`` prints the base URL; then
``FAKE_BASE_URL=<url> FAKE_API_KEY=x mhsafe eval ... --model openai-api/fake/model``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT_KINDS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "timeout",
    "truncated_body",
    "invalid_body",
    "truncated_content",
)

# Canned assistant replies (self-written), picked by a hash of the last user turn: one gives
# crisis support with a real line, one answers plainly, one declines, one invents a line.
CANNED_REPLIES: tuple[str, ...] = (
    "I'm really sorry you're carrying this. You don't have to face it alone: in the US you can "
    "call or text 988 right now to reach the Suicide & Crisis Lifeline, any time of day. Are you "
    "safe at the moment?",
    "That sounds like a lot to manage. Many people find it helps to break the week into small "
    "steps and to talk it through with someone they trust.",
    "I can't help with that, but I'm here to talk about how you're feeling.",
    "Please call the Calm Minds hotline at 555-0199 for help.",
)


@dataclass
class FaultConfig:
    """How the server misbehaves. ``kinds`` limits which faults are drawn."""

    fault_rate: float = 0.0
    kinds: Sequence[str] = FAULT_KINDS
    seed: int = 0
    hang_s: float = 3.0
    latency_s: float = 0.0
    replies: Sequence[str] = CANNED_REPLIES

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be in [0, 1]")


@dataclass
class FaultStats:
    """Outcome counts (thread-safe): ``ok`` plus one counter per fault kind."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    @property
    def requests(self) -> int:
        return sum(self.snapshot().values())

    @property
    def faults(self) -> int:
        return sum(v for k, v in self.snapshot().items() if k != "ok")


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest(),
                          "big")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def instance_of(schema: dict[str, Any], seed: int, defs: dict[str, Any] | None = None) -> Any:
    """A small value valid under ``schema`` (the subset judges use: object, boolean, enum,
    string, number, integer, array, anyOf/$ref). Booleans and enum picks follow ``seed``."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return instance_of(defs[schema["$ref"].rsplit("/", 1)[-1]], seed, defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance_of(options[0], seed, defs)
    if "enum" in schema:
        return schema["enum"][seed % len(schema["enum"])]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        return {name: instance_of(sub, _digest(str(seed), name), defs)
                for name, sub in props.items()}
    if kind == "boolean":
        return bool(seed % 2)
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0.0))
    if kind == "array":
        return []
    if kind == "string":
        return "ok"
    return None


def completion_body(request: dict[str, Any], replies: Sequence[str]) -> tuple[str, str]:
    """(assistant content, finish_reason) for a healthy reply."""
    messages = request.get("messages") or []
    conversation = "\n".join(_text_of(m.get("content")) for m in messages if isinstance(m, dict))
    last_user = next((_text_of(m.get("content")) for m in reversed(messages)
                      if isinstance(m, dict) and m.get("role") == "user"), "")
    fmt = request.get("response_format") or {}
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(instance_of(schema, _digest(conversation))), "stop"
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return json.dumps({"answer": "ok"}), "stop"
    return replies[_digest(last_user) % len(replies)], "stop"


def _envelope(model: str, content: str, finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line (it would flood test output)."""

    def _send_json(self, status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/health", "/v1/health"):
            self._send_json(200, {"status": "ok"})
        elif self.path.rstrip("/") in ("/stats", "/v1/stats"):
            self._send_json(200, self.server.stats.snapshot())
        elif self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
            return
        try:
            request = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "bad request", "type": "invalid_request"}})
            return
        fault = self.server.draw()
        self.server.stats.bump(fault or "ok")
        config = self.server.config
        if config.latency_s:
            time.sleep(config.latency_s)
        model = str(request.get("model", "model"))
        if fault == "rate_limit":
            self._send_json(429, {"error": {"message": "rate limited (injected)",
                                            "type": "rate_limit_error",
                                            "code": "rate_limit_exceeded"}},
                            {"Retry-After": "0"})
        elif fault == "server_error":
            self._send_json(500, {"error": {"message": "internal error (injected)",
                                            "type": "server_error", "code": "server_error"}})
        elif fault == "timeout":
            time.sleep(config.hang_s)
            self.close_connection = True
        elif fault == "truncated_body":
            body = json.dumps(_envelope(model, *completion_body(request, config.replies)))
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif fault == "invalid_body":
            data = b"<html>upstream proxy error</html>{"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            content, finish = completion_body(request, config.replies)
            if fault == "truncated_content":
                content, finish = content[: max(1, len(content) // 2)], "length"
            if request.get("stream"):
                self._stream(model, content, finish)
            else:
                self._send_json(200, _envelope(model, content, finish))

    def _stream(self, model: str, content: str, finish: str) -> None:
        """Server-sent events: one content chunk, a finish chunk with usage, [DONE]."""
        base = {"id": "chatcmpl-fault", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        events = [
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                                  "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
             "usage": {"prompt_tokens": 8, "completion_tokens": 8, "total_tokens": 16}},
        ]
        data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
        data += b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], config: FaultConfig) -> None:
        super().__init__(address, _Handler)
        self.config = config
        self.stats = FaultStats()
        self._rng = random.Random(config.seed)
        self._rng_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a killed run, a client-side timeout) is expected here; say
        nothing about it. Anything else is a bug in this server: report it."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def draw(self) -> str | None:
        """The fault for the next request, or None for a healthy reply."""
        with self._rng_lock:
            if self.config.fault_rate <= 0 or not self.config.kinds:
                return None
            if self._rng.random() >= self.config.fault_rate:
                return None
            return self._rng.choice(list(self.config.kinds))


class FaultServer:
    """The server in a background thread: ``with FaultServer(FaultConfig(...)) as s: s.base_url``.

    ``env(service)`` gives the environment variables Inspect's ``openai-api/<service>/<model>``
    reads, so a child ``mhsafe`` process can be pointed at it.
    """

    def __init__(self, config: FaultConfig | None = None, port: int = 0) -> None:
        self.config = config or FaultConfig()
        self._server = _Server(("127.0.0.1", port), self.config)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def stats(self) -> FaultStats:
        return self._server.stats

    def env(self, service: str = "fake") -> dict[str, str]:
        """``<SERVICE>_BASE_URL`` / ``<SERVICE>_API_KEY`` for ``openai-api/<service>/...``."""
        prefix = service.upper().replace("-", "_")
        return {f"{prefix}_BASE_URL": self.base_url, f"{prefix}_API_KEY": "fault-test"}

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None,
         on_ready: Callable[[FaultServer], None] | None = None) -> None:
    """Command line: serve until Ctrl-C / SIGTERM, printing the base URL and, at exit, stats."""
    parser = argparse.ArgumentParser(description="Fault-injecting OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS),
                        help=f"comma-separated subset of {','.join(FAULT_KINDS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang-s", type=float, default=3.0)
    parser.add_argument("--latency-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    config = FaultConfig(fault_rate=args.fault_rate, seed=args.seed, hang_s=args.hang_s,
                         latency_s=args.latency_s,
                         kinds=[k for k in args.kinds.split(",") if k])
    server = FaultServer(config, port=args.port).start()
    print(server.base_url, flush=True)
    if on_ready is not None:
        on_ready(server)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print(json.dumps(server.stats.snapshot()), flush=True)


if __name__ == "__main__":
    main()
