"""LocalServer plumbing that needs no model: URLs, env override, handshake, failures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import pytest
from openai import OpenAI

from mhsafe.models import (
    BASE_URL_ENV,
    LocalServer,
    LocalServerError,
    LocalServerSettings,
    _local_server,
    ensure_local_server,
    normalize_base_url,
)


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:8080/v1",
        " http://127.0.0.1:8080/v1/ ",
    ],
)
def test_base_url_is_normalized(raw: str) -> None:
    assert normalize_base_url(raw) == "http://127.0.0.1:8080/v1"


def test_env_points_at_running_server_and_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:5999")
    monkeypatch.setattr(_local_server, "LocalServer", None)  # any start attempt would crash
    assert ensure_local_server() == "http://127.0.0.1:5999/v1"
    assert _local_server.shared_base_url_if_running() == "http://127.0.0.1:5999/v1"


def test_unstarted_server_has_no_url() -> None:
    server = LocalServer()
    with pytest.raises(LocalServerError):
        _ = server.base_url
    assert not server.healthy() and not server.alive()
    server.stop()  # idempotent on a server that never started


def _child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )


def test_handshake_reads_address() -> None:
    proc = _child('print(\'{"address": "http://127.0.0.1:1234"}\', flush=True)')
    try:
        message = _local_server._read_handshake(proc, time.monotonic() + 10)
    finally:
        proc.wait()
    assert message == {"address": "http://127.0.0.1:1234"}


@pytest.mark.parametrize(
    ("code", "match"),
    [
        ("pass", "exited early"),
        ("print('llama says hi', flush=True)", "unreadable handshake"),
        ("import time; time.sleep(30)", "in time"),
    ],
)
def test_handshake_failures_are_errors(code: str, match: str) -> None:
    proc = _child(code)
    began = time.monotonic()
    try:
        with pytest.raises(LocalServerError, match=match):
            _local_server._read_handshake(proc, began + 1.0)
    finally:
        proc.kill()
        proc.wait()
    assert time.monotonic() - began < 5


def test_unloadable_model_fails_cleanly(tmp_path: Path) -> None:
    """A bad weights file is reported through the handshake and leaves no child running."""
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not gguf")
    server = LocalServer(
        LocalServerSettings(start_timeout_s=60), model_path=bogus, log_path=tmp_path / "log"
    )
    with pytest.raises(LocalServerError, match="failed"):
        server.start()
    assert server.pid is None and not server.alive()


# --- the real server (llama.cpp + Gemma 3 270M) ------------------------------------------------


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_closed(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _port_open(port):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.llm
def test_health_and_short_chat(local_server: LocalServer) -> None:
    assert local_server.healthy()
    assert local_server.base_url.startswith("http://127.0.0.1:")
    client = OpenAI(base_url=local_server.base_url, api_key="unused", timeout=30, max_retries=0)
    reply = client.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=16,
    )
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 16
    assert isinstance(reply.choices[0].message.content, str)


@pytest.mark.llm
def test_context_manager_stops_and_closes_port() -> None:
    with LocalServer(LocalServerSettings(parallel=1, ctx_per_slot=512)) as server:
        port, pid = server.port, server.pid
        assert server.start_seconds is not None and server.healthy()
    assert pid is not None and not _port_open(port)
    assert not server.alive()


@pytest.mark.llm
def test_server_dies_with_a_killed_owner(tmp_path: Path) -> None:
    """SIGKILL of the owning process must not orphan llama.cpp (the stdin lifeline)."""
    owner_code = (
        "import sys, time\n"
        "from mhsafe.models import LocalServer, LocalServerSettings\n"
        "s = LocalServer(LocalServerSettings(parallel=1, ctx_per_slot=512)).start()\n"
        "print(s.port, s.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", owner_code], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        port, child_pid = (int(x) for x in owner.stdout.readline().split())
        assert _port_open(port)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert _wait_closed(port, 10), "llama.cpp server outlived its killed owner"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_alive(child_pid):
        time.sleep(0.1)
    assert not _pid_alive(child_pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


@pytest.mark.llm
def test_serve_local_cli_prints_url_and_stops_on_sigterm() -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "mhsafe.cli", "serve-local", "--parallel", "1", "--ctx", "512"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert cli.stdout is not None
        url = cli.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert _port_open(port)
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(timeout=30) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert not _port_open(port)


class _FakeServer(LocalServer):
    """A LocalServer that starts no process: alive until `die()`."""

    started = 0

    def start(self) -> Self:
        type(self).started += 1
        self._address = f"http://127.0.0.1:{6000 + type(self).started}"
        return self

    def alive(self) -> bool:
        return self._address is not None

    def die(self) -> None:
        self._address = None


def test_shared_server_starts_once_replaces_a_dead_one_and_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MHSAFE_TEST_SHARED_URL", raising=False)
    _FakeServer.started = 0
    shared = _local_server.SharedServer("MHSAFE_TEST_SHARED_URL", _FakeServer, "fake server")
    assert shared.base_url_if_running() is None
    assert shared.ensure() == "http://127.0.0.1:6001/v1"
    assert shared.ensure() == "http://127.0.0.1:6001/v1" and _FakeServer.started == 1
    assert isinstance(shared.server, _FakeServer)
    shared.server.die()
    assert shared.base_url_if_running() is None
    assert shared.ensure() == "http://127.0.0.1:6002/v1" and _FakeServer.started == 2
    shared.stop()
    assert shared.server is None
    monkeypatch.setenv("MHSAFE_TEST_SHARED_URL", "http://127.0.0.1:7777")
    assert shared.ensure() == "http://127.0.0.1:7777/v1" and _FakeServer.started == 2
