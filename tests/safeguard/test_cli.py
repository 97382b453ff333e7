"""`mhsafe proxy` wires options into the app (uvicorn.run is replaced, nothing listens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mhsafe.cli import app


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
