"""The `mhsafe/local` Inspect provider: registration, safe defaults, structured output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.model import GenerateConfig
from inspect_ai.model import get_model as inspect_get_model
from pydantic import BaseModel, Field

from mhsafe.models import BASE_URL_ENV, LocalServer, _local_server, response_schema_for
from mhsafe.models._provider import DEFAULT_MAX_TOKENS, LocalModelAPI

REPO_ROOT = Path(__file__).resolve().parents[2]


class Label(BaseModel):
    risky: bool
    why: str = Field(max_length=25)


def test_entry_point_resolves_mhsafe_local() -> None:
    """A fresh interpreter finds the provider through the `inspect_ai` entry point alone."""
    code = (
        "from inspect_ai.model import get_model\n"
        "m = get_model('mhsafe/local', base_url='http://127.0.0.1:9')\n"
        "print(type(m.api).__module__, type(m.api).__name__, m)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != BASE_URL_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["mhsafe.models._provider", "LocalModelAPI", "mhsafe/local"]


def test_construction_starts_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    model = inspect_get_model("mhsafe/local", memoize=False)
    assert isinstance(model.api, LocalModelAPI)
    assert _local_server.SHARED.server is None  # weights load on the first generate, not before
    assert model.api.max_tokens() == DEFAULT_MAX_TOKENS


def test_env_base_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:7001")
    model = inspect_get_model("mhsafe/local", memoize=False)
    assert model.api.base_url == "http://127.0.0.1:7001/v1"


def test_only_local_model_exists() -> None:
    with pytest.raises(ValueError, match="use 'local' or 'instruct-local'"):
        inspect_get_model("mhsafe/gpt-5", base_url="http://127.0.0.1:9", memoize=False)


def test_structured_request_keeps_limits_and_compacts_whitespace() -> None:
    api = LocalModelAPI("local", base_url="http://127.0.0.1:9")
    config = GenerateConfig(max_tokens=40, response_schema=response_schema_for(Label))
    params = api.completion_params(config, tools=False)
    assert params["max_tokens"] == 40
    fmt = params["response_format"]
    assert fmt["type"] == "json_schema"
    assert None not in fmt["json_schema"].values()  # no JSON nulls sent for unset fields
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["why"]["maxLength"] == 25  # Inspect would strip it by default
    assert schema["additionalProperties"] is False
    assert schema["x-guidance"] == {"whitespace_flexible": False}


def test_plain_request_has_no_response_format() -> None:
    api = LocalModelAPI("local", base_url="http://127.0.0.1:9")
    assert "response_format" not in api.completion_params(GenerateConfig(max_tokens=8), False)


# --- through the real server -------------------------------------------------------------------


@pytest.mark.llm
@pytest.mark.anyio
async def test_inspect_generate_through_local_server(local_server: LocalServer) -> None:
    model = inspect_get_model(
        "mhsafe/local",
        base_url=local_server.base_url,
        config=GenerateConfig(max_tokens=16, attempt_timeout=60, max_retries=1),
        memoize=False,
    )
    output = await model.generate("Say hello.")
    assert output.usage is not None and 0 < output.usage.output_tokens <= 16
    assert output.stop_reason in ("stop", "max_tokens")
    assert output.completion.strip()  # output tokens were counted: text came back


@pytest.mark.llm
@pytest.mark.anyio
async def test_first_generate_starts_shared_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """No URL configured: the first generate starts the process-wide server, later calls
    reuse it."""
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.setattr(_local_server, "default_threads", lambda: 1)
    try:
        model = inspect_get_model(
            "mhsafe/local", config=GenerateConfig(max_tokens=8), memoize=False
        )
        first = await model.generate("Hello")
        url = model.api.base_url
        assert _local_server.SHARED.server is not None and _local_server.SHARED.server.alive()
        second = await model.generate("Hello again")
        assert model.api.base_url == url
        assert first.usage is not None and second.usage is not None
    finally:
        _local_server.SHARED.stop()
    assert _local_server.SHARED.server is None
