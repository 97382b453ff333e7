"""Issue 19 Medium (proxy): size limit, screening off the event loop, no API docs by default,
the upstream timeout as configured, and 400 -- never 500 -- for a body the proxy cannot read.
Issue 17's one adapter, seen from the proxy: every text-carrying content part is screened and
an unknown role is a 400. All through the real HTTP proxy (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mhsafe.judges import detect_crisis_support
from mhsafe.judges.screen import RiskScreen
from mhsafe.safeguard import OpenAIUpstream, Safeguard, SafeguardConfig, create_proxy_app
from mhsafe.schema import ScreenResult
from tests.red_team.proxy import ACUTE, PLAIN, chat, proxy, reply, turns
from tests.safeguard.helpers import lexicon_screen
from tests.safeguard.server import serving

URL = "/chat/completions"


def _post_raw(client: httpx.Client, raw: bytes) -> httpx.Response:
    return client.post(URL, content=raw, headers={"Content-Type": "application/json"})


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


# -- size limit ----------------------------------------------------------------------------------


def test_a_body_over_the_configured_limit_is_refused_with_413() -> None:
    config = SafeguardConfig(max_request_bytes=20_000)
    big = turns("Tell me about the history of tea. " * 700)
    with proxy(config=config) as client:
        declared = client.post(URL, json={"model": "proxy", "messages": big})

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield b'{"model": "proxy", "messages": [{"role": "user", "content": "'
            for _ in range(30):
                yield b"y" * 1_000
            yield b'"}]}'

        streamed = client.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
        small = chat(client, turns("Tell me about the history of tea. " * 300))
    assert declared.status_code == streamed.status_code == 413
    assert _error_code(declared) == _error_code(streamed) == "request_too_large"
    assert reply(small) == PLAIN


# -- screening off the event loop ------------------------------------------------------------------


class SlowOnBigTurns:
    """The lexicon screen, except that a turn holding ``BIG`` takes until ``release`` is set
    (or 10 s): a long paste whose chunks the embedding stage is still scoring."""

    def __init__(self) -> None:
        self._lexicon: RiskScreen = lexicon_screen()
        self.started = threading.Event()
        self.release = threading.Event()
        self.released_in_time: bool | None = None

    def screen_turns(self, texts: list[str]) -> list[ScreenResult]:
        if any("BIG" in t for t in texts):
            self.started.set()
            self.released_in_time = self.release.wait(10)
        return self._lexicon.screen_turns(texts)


def test_a_small_request_completes_while_a_big_one_is_being_screened() -> None:
    screen = SlowOnBigTurns()
    with proxy(screen=screen, timeout=30) as client:
        chat(client, turns("warm up"))  # the first screen loads the models, alone
        results: dict[str, Any] = {}

        def big() -> None:
            results["big"] = client.post(URL, json={"model": "proxy",
                                                    "messages": turns("BIG " + "word " * 20_000)})

        thread = threading.Thread(target=big)
        thread.start()
        assert screen.started.wait(10)
        began = time.monotonic()
        try:
            small = client.post(URL, json={"model": "proxy", "messages": turns("hello")},
                                timeout=5)
            small_s = time.monotonic() - began
        finally:
            screen.release.set()
            thread.join(20)
    assert small.status_code == 200 and reply(small.json()) == PLAIN
    assert small_s < 5
    assert screen.released_in_time is True  # the big screen was still running meanwhile
    assert results["big"].status_code == 200


# -- no API docs by default ------------------------------------------------------------------------


def test_docs_and_openapi_are_off_by_default_and_can_be_turned_on() -> None:
    with proxy() as client:
        root = str(client.base_url).removesuffix("/").removesuffix("/v1")
        off = [httpx.get(f"{root}{path}").status_code
               for path in ("/docs", "/redoc", "/openapi.json")]
    with proxy(config=SafeguardConfig(serve_docs=True)) as client:
        root = str(client.base_url).removesuffix("/").removesuffix("/v1")
        on = httpx.get(f"{root}/openapi.json")
    assert off == [404, 404, 404]
    assert on.status_code == 200 and "/v1/chat/completions" in on.json()["paths"]


# -- the upstream timeout is the configured one ----------------------------------------------------


def _slow_openai(delay_s: float) -> tuple[FastAPI, list[float]]:
    app = FastAPI()
    calls: list[float] = []

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        calls.append(time.monotonic())
        await asyncio.sleep(delay_s)
        return JSONResponse({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                             "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                 "role": "assistant", "content": "late"}}]})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app, calls


def test_the_upstream_timeout_is_the_configured_one_with_no_hidden_retry() -> None:
    slow, calls = _slow_openai(delay_s=4.0)
    config = SafeguardConfig(upstream_timeout_s=1.0)
    with serving(slow) as upstream_base:
        upstream = OpenAIUpstream("slow/m", base_url=upstream_base,
                                  timeout_s=config.upstream_timeout_s)
        guard = Safeguard(upstream, config, screen=lexicon_screen())
        app = create_proxy_app(upstream, safeguard=guard, api_keys=[])
        with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            began = time.monotonic()
            response = client.post(URL, json={"model": "proxy",
                                              "messages": turns("what is CBT?")})
            elapsed = time.monotonic() - began
    assert response.status_code == 504 and _error_code(response) == "upstream_timeout"
    assert elapsed < 1.8, f"took {elapsed:.2f} s for a 1 s timeout"
    assert len(calls) == 1


# -- 400, never 500, for what the proxy cannot read ------------------------------------------------

MALFORMED: dict[str, bytes] = {
    "lone surrogate in content":
        b'{"messages": [{"role": "user", "content": "I want to \\ud800 die"}]}',
    "lone surrogate in user":
        b'{"user": "\\udfff", "messages": [{"role": "user", "content": "hi"}]}',
    "lone surrogate in a metadata key":
        b'{"metadata": {"\\ud83d": 1}, "messages": [{"role": "user", "content": "hi"}]}',
    "nesting beyond the parser": b'{"messages": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "nesting within the parser, beyond a chat request":
        b'{"metadata": {"x": ' + b"[" * 200 + b"]" * 200 + b'}, "messages": '
        b'[{"role": "user", "content": "hi"}]}',
    "a top-level list": b'[{"role": "user", "content": "hi"}]',
    "a top-level string": b'"hi"',
    "null": b"null",
    "not UTF-8": b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}',
    "not JSON": b'{"messages": [',
    "an integer past the digit limit": b'{"max_tokens": 1' + b"0" * 5_000 + b', "messages": []}',
    "metadata that is not an object":
        b'{"metadata": [1], "messages": [{"role": "user", "content": "hi"}]}',
    "max_tokens that is not a positive integer":
        b'{"max_tokens": -5, "messages": [{"role": "user", "content": "hi"}]}',
}


def test_malformed_bodies_get_an_openai_shaped_400() -> None:
    with proxy() as client:
        answers = {name: _post_raw(client, raw) for name, raw in MALFORMED.items()}
        alive = chat(client, turns("hello"))
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == dict.fromkeys(MALFORMED, 400)
    assert all(set(r.json()["error"]) == {"message", "type", "param", "code"}
               for r in answers.values())
    assert "die" not in answers["lone surrogate in content"].text  # no user text echoed
    assert reply(alive) == PLAIN


# -- the one adapter: roles and content parts ------------------------------------------------------


@pytest.mark.parametrize("part_type", ["text", "input_text", "output_text"])
def test_every_text_carrying_content_part_is_screened(part_type: str) -> None:
    messages = [{"role": "user", "content": [{"type": part_type, "text": ACUTE}]}]
    with proxy() as client:
        data = chat(client, messages)
    assert data["mhsafe"]["crisis_mode"] is True
    assert detect_crisis_support(reply(data)).is_support


def test_role_aliases_map_and_unknown_roles_are_refused() -> None:
    with proxy() as client:
        aliased = chat(client, [{"role": "Developer", "content": "Be brief."},
                                {"role": " User ", "content": ACUTE}])
        refused = {role: client.post(URL, json={"model": "proxy", "messages": [
            {"role": "user", "content": "hi"}, {"role": role, "content": ACUTE}]})
            for role in ("tool", "function", "patient", "")}
        image_only = client.post(URL, json={"model": "proxy", "messages": [{"role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]})
    assert aliased["mhsafe"]["crisis_mode"] is True
    assert {role: r.status_code for role, r in refused.items()} == dict.fromkeys(refused, 400)
    assert _error_code(refused["tool"]) == "bad_messages"
    assert "unknown_role" in refused["tool"].json()["error"]["message"]
    assert image_only.status_code == 400  # nothing the screen could read is not "no risk"
