"""`mhsafe proxy` wires options into the app (uvicorn.run is replaced, nothing listens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mhsafe.cli import app


@pytest.fixture(autouse=True)
def _no_reachability_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listens on the upstream URLs here: the CLI's reachability check is not under
    test in this file."""
    monkeypatch.setattr("mhsafe._cli_group.probe", lambda url, timeout: None)


def test_proxy_command_builds_the_configured_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(web: Any, **kwargs: Any) -> None:
        seen["app"], seen["kwargs"] = web, kwargs

    monkeypatch.setattr("uvicorn.run", fake_run)
    config = tmp_path / "safeguard.yaml"
    config.write_text("protocol: {checkin: false}\n")
    result = CliRunner().invoke(app, [
        "proxy", "--upstream", "local", "--upstream-base-url", "http://127.0.0.1:9/v1",
        "--config", str(config), "--locale", "GB", "--log", str(tmp_path / "p.jsonl"),
        "--port", "9999",
    ])
    assert result.exit_code == 0, result.output
    settings = seen["app"].state.safeguard.config
    assert settings.locale == "GB" and settings.protocol.checkin is False
    assert settings.log.path == tmp_path / "p.jsonl" and settings.log.redact is True
    assert seen["kwargs"]["port"] == 9999
    health = TestClient(seen["app"]).get("/health").json()
    assert health["locale"] == "GB" and health["layers"]["log"] is True


def test_proxy_refuses_a_public_address_without_a_client_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda web, **kw: started.append(web))
    monkeypatch.delenv("MHSAFE_PROXY_API_KEYS", raising=False)
    result = CliRunner().invoke(app, [
        "proxy", "--upstream", "local", "--upstream-base-url", "http://127.0.0.1:9/v1",
        "--host", "0.0.0.0",
    ])
    assert result.exit_code == 2 and started == []
    assert "refusing to serve on 0.0.0.0 without client authentication" in result.output


def test_proxy_serves_a_public_address_with_keys_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda web, **kw: seen.update(app=web, kwargs=kw))
    monkeypatch.delenv("MHSAFE_PROXY_API_KEYS", raising=False)
    keys = tmp_path / "keys.txt"
    keys.write_text("# clinic A\nkey-a\n\nkey-b  # clinic B\n")
    result = CliRunner().invoke(app, [
        "proxy", "--upstream", "local", "--upstream-base-url", "http://127.0.0.1:9/v1",
        "--host", "0.0.0.0", "--api-key-file", str(keys),
    ])
    assert result.exit_code == 0, result.output
    assert "key-a" not in result.output and "client keys: 2" in result.output
    client = TestClient(seen["app"])
    body = {"model": "proxy", "messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/v1/chat/completions", json=body).status_code == 401
    assert client.get("/health").json()["auth"] is True
    assert seen["kwargs"]["host"] == "0.0.0.0"
