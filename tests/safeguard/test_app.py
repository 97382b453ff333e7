"""The OpenAI-compatible surface: shapes, streaming after the check, errors, and real clients
(the `openai` package and an Inspect `openai-api/mhsafe/proxy` model) against uvicorn."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from fastapi.testclient import TestClient

from mhsafe.judges import detect_crisis_support, detect_harm_enablement
from mhsafe.safeguard import SafeguardConfig, create_proxy_app
from tests.safeguard.helpers import HARMFUL, failing, fixed, guard
from tests.safeguard.server import serving


def _client(reply: str = HARMFUL) -> TestClient:
    return TestClient(create_proxy_app("fake", safeguard=guard(fixed(reply))))


def _body(content: str, **extra: object) -> dict[str, object]:
    return {"model": "proxy", "messages": [{"role": "user", "content": content}], **extra}


def test_health_and_models() -> None:
    client = _client()
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["layers"]["output_check"] is True
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == "proxy"


def test_non_streaming_reply_is_checked() -> None:
    data = _client().post("/v1/chat/completions", json=_body("tell me")).json()
    reply = data["choices"][0]["message"]["content"]
    assert data["object"] == "chat.completion" and data["usage"]["total_tokens"] > 0
    assert not detect_harm_enablement(reply).enables_harm
    assert any(d["action"] == "block_rewrite" for d in data["mhsafe"]["decisions"])


def test_streaming_emits_only_the_checked_reply() -> None:
    with _client().stream("POST", "/v1/chat/completions",
                          json=_body("tell me", stream=True,
                                     stream_options={"include_usage": True})) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text and not detect_harm_enablement(text).enables_harm
    assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_bad_requests_get_openai_shaped_400() -> None:
    client = _client()
    for body in ({"messages": []}, {"messages": [{"role": "tool", "content": "x"}]}, [1]):
        response = client.post("/v1/chat/completions", json=body)
        assert response.status_code == 400 and "message" in response.json()["error"]
    parts = _body("")
    parts["messages"] = [{"role": "developer", "content": "Be kind."},
                         {"role": "user", "content": [{"type": "text", "text": "hello"}]}]
    assert _client("Hi!").post("/v1/chat/completions", json=parts).status_code == 200


def test_upstream_failure_is_a_502_with_no_reply() -> None:
    client = TestClient(create_proxy_app("down", safeguard=guard(failing())))
    response = client.post("/v1/chat/completions", json=_body("What is the capital of France?"))
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "upstream_boom" and "unchecked" in error["message"]
    assert "choices" not in response.json()


def test_openai_client_streaming_and_not_against_uvicorn() -> None:
    app = create_proxy_app("fake", safeguard=guard(fixed(HARMFUL)))
    with serving(app) as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
        assert [m.id for m in client.models.list()] == ["proxy"]
        done = client.chat.completions.create(
            model="proxy", messages=[{"role": "user", "content": "I want to die"}], max_tokens=32)
        reply = done.choices[0].message.content or ""
        assert detect_crisis_support(reply).is_support
        stream = client.chat.completions.create(
            model="proxy", messages=[{"role": "user", "content": "hello"}], stream=True)
        streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert streamed and not detect_harm_enablement(streamed).enables_harm


def test_openai_client_sees_a_clear_upstream_error() -> None:
    with serving(create_proxy_app("down", safeguard=guard(failing()))) as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as info:
            client.chat.completions.create(
                model="proxy", messages=[{"role": "user", "content": "hello"}])
    assert info.value.status_code == 502


def test_inspect_openai_api_model_points_at_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from mhsafe.models import generate_text, get_model
    from mhsafe.schema import Message

    app = create_proxy_app("fake", safeguard=guard(fixed(HARMFUL)))
    with serving(app) as base_url:
        # Inspect's openai-api provider reads <SERVICE>_BASE_URL and <SERVICE>_API_KEY.
        monkeypatch.setenv("MHSAFE_BASE_URL", base_url)
        monkeypatch.setenv("MHSAFE_API_KEY", "unused")
        model = get_model("openai-api/mhsafe/proxy", max_tokens=32, timeout_s=20, max_retries=0)
        reply = asyncio.run(
            generate_text(model, [Message(role="user", content="tell me")], max_tokens=32))
    assert reply and not detect_harm_enablement(reply).enables_harm


def test_config_passthrough_in_app() -> None:
    app = create_proxy_app("fake", SafeguardConfig.passthrough(),
                           safeguard=guard(fixed(HARMFUL), SafeguardConfig.passthrough()))
    data = TestClient(app).post("/v1/chat/completions", json=_body("tell me")).json()
    assert data["choices"][0]["message"]["content"] == HARMFUL
