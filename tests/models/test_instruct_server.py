"""The embedded instruct server: same life cycle as mhsafe/local, the model's own chat template,
and the Inspect provider `mhsafe/instruct-local` (real model; one server for the module)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from inspect_ai.model import get_model as inspect_get_model

from mhsafe.models import INSTRUCT_BASE_URL_ENV, InstructServer, generate_text, get_model
from mhsafe.models._instruct_server import instruct_settings
from mhsafe.schema import Message

pytestmark = [pytest.mark.llm, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server() -> Iterator[InstructServer]:
    with InstructServer(instruct_settings(parallel=2, ctx_per_slot=2048)) as running:
        yield running


def test_settings_use_the_gguf_template_not_gemma() -> None:
    settings = instruct_settings()
    assert settings.use_jinja and settings.chat_template == ""


def test_health_and_stop(server: InstructServer) -> None:
    assert server.healthy()
    url = server.base_url.removesuffix("/v1") + "/health"
    assert httpx.get(url, timeout=5, trust_env=False).status_code == 200


def test_server_stops_and_frees_its_port() -> None:
    with InstructServer(instruct_settings(parallel=1, ctx_per_slot=512)) as s:
        pid, url = s.pid, s.base_url
        assert pid is not None and s.healthy()
    assert not s.alive()
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.removesuffix("/v1") + "/health", timeout=2, trust_env=False)


@pytest.mark.anyio
async def test_provider_follows_instructions_through_chatml(
    server: InstructServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INSTRUCT_BASE_URL_ENV, server.base_url)
    model = get_model("mhsafe/instruct-local", max_tokens=16, timeout_s=180)
    text = await generate_text(
        model,
        [Message(role="system", content="Answer with one word."),
         Message(role="user", content="What colour is a clear daytime sky?")],
        max_tokens=16,
    )
    assert "blue" in text.lower()
    assert "<|im_" not in text  # the template rendered the turns; no raw markers leak


def test_provider_name_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(INSTRUCT_BASE_URL_ENV, "http://127.0.0.1:7002")
    model = inspect_get_model("mhsafe/instruct-local", memoize=False)
    assert model.api.base_url == "http://127.0.0.1:7002/v1"
    assert model.api.max_connections() == 4
