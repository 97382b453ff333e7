"""Unreachable endpoints fail fast and say where: one TCP connect within a connect timeout,
before any work starts, with the model, the URL and the variable it came from named."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mhsafe._reach import connect_timeout, endpoint_of, probe, unreachable
from mhsafe.cli import app

runner = CliRunner()


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def open_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_endpoint_of_follows_inspects_variables() -> None:
    env = {"ACME_HEALTH_BASE_URL": "http://h:1/v1", "OPENAI_BASE_URL": "http://o/v1",
           "MHSAFE_LOCAL_BASE_URL": "http://l:2/v1"}
    acme = endpoint_of("openai-api/acme-health/bot-v2", env)
    assert acme is not None and (acme.url, acme.source) == ("http://h:1/v1", "ACME_HEALTH_BASE_URL")
    openai = endpoint_of("openai/gpt-4o-mini", env)
    assert openai is not None and openai.source == "OPENAI_BASE_URL"
    local = endpoint_of("mhsafe/local", env)
    assert local is not None and local.source == "MHSAFE_LOCAL_BASE_URL"
    assert endpoint_of("mhsafe/instruct-local", env) is None  # it starts its own server
    assert endpoint_of("anthropic/claude", env) is None  # no key: the provider says what to set
    hosted = endpoint_of("anthropic/claude", {"ANTHROPIC_API_KEY": "k"})
    assert hosted is not None and hosted.url == "https://api.anthropic.com"
    assert hosted.source == "anthropic's default URL" and "ANTHROPIC_BASE_URL" in hosted.advice()
    assert endpoint_of("mockllm/model", env) is None


def test_probe_tells_open_refused_and_malformed_apart(open_port: int, closed_port: int) -> None:
    assert probe(f"http://127.0.0.1:{open_port}/v1", 2.0) is None
    assert "connection refused" in (probe(f"http://127.0.0.1:{closed_port}/v1", 2.0) or "")
    assert probe("ftp://x/", 1.0) == "not an http(s) URL"
    assert "does not resolve" in (probe("http://no-such-host.invalid/v1", 2.0) or "")


def test_a_silent_host_is_cut_at_the_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []

    def hang(_address: object, timeout: float) -> socket.socket:
        seen.append(timeout)
        raise TimeoutError

    monkeypatch.setattr(socket, "create_connection", hang)
    why = probe("https://10.0.0.1/v1", connect_timeout({"MHSAFE_CONNECT_TIMEOUT": "1.5"}))
    assert why == "no answer within 1.5s (connect timeout)" and seen == [1.5]
    assert connect_timeout({"MHSAFE_CONNECT_TIMEOUT": "zero"}) == 5.0
    assert connect_timeout({}) == 5.0


def test_unreachable_names_model_url_and_variable(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    problems = unreachable(["openai-api/x/y", "openai-api/x/z", "mockllm/model"],
                           {"X_BASE_URL": url})
    assert len(problems) == 2  # both models on the one dead URL; the mock is not probed
    assert problems[0].startswith(f"cannot reach openai-api/x/y at {url} (from X_BASE_URL)")
    assert problems[0].endswith("Start the server or correct X_BASE_URL.")


def test_eval_on_a_closed_port_exits_2_within_seconds(
    tmp_path: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    monkeypatch.setenv("X_BASE_URL", url)
    monkeypatch.setenv("X_API_KEY", "k")
    start = time.monotonic()
    result = runner.invoke(app, ["eval", "suicide_risk", "--model", "openai-api/x/y", "--limit",
                                 "2", "--db", f"sqlite:///{tmp_path / 'r.db'}",
                                 "--log-dir", str(tmp_path / "logs")])
    assert time.monotonic() - start < 10
    assert result.exit_code == 2
    assert url in result.output and "X_BASE_URL" in result.output
    assert not (tmp_path / "logs").exists()  # stopped before any work started


def test_judges_and_the_proxy_upstream_are_checked_too(
    tmp_path: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    monkeypatch.setenv("ACME_BASE_URL", url)
    replies = tmp_path / "in.jsonl"
    replies.write_text('{"id": "a", "messages": [], "response": "hi"}\n', encoding="utf-8")
    judged = runner.invoke(app, ["judge", str(replies), "--out", str(tmp_path / "o.jsonl"),
                                 "--judge", "openai-api/acme/judge"])
    assert judged.exit_code == 2 and "cannot reach openai-api/acme/judge" in judged.output
    proxied = runner.invoke(app, ["proxy", "--upstream", "openai/x", "--upstream-base-url", url])
    assert proxied.exit_code == 2 and f"cannot reach {url} (--upstream-base-url)" in proxied.output
