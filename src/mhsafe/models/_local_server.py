"""The embedded llama.cpp server: Gemma 3 270M behind an OpenAI-compatible API on 127.0.0.1.

`LocalServer` owns one child process (see `_server_child` for why a child, and how it dies
with its owner even on SIGKILL). `ensure_local_server()` is the process-wide, lazily started
instance that `mhsafe/local` uses; `MHSAFE_LOCAL_BASE_URL` points everything at a server that
is already running instead (tests, the proxy, a `mhsafe serve-local` in another terminal).

Sizing (measured on the 2-core build machine, see bench/local_server_concurrency.py): four
parallel slots with continuous batching, 2048 tokens of context per slot. The 270M model is
small enough that a batch of 4 decodes in little more time than a batch of 1, so aggregate
throughput grows with slots while per-request latency barely moves.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from ._cache import cache_dir
from ._model_file import model_file

logger = logging.getLogger(__name__)

BASE_URL_ENV = "MHSAFE_LOCAL_BASE_URL"
_LOG_LIMIT_BYTES = 8 << 20


class LocalServerError(RuntimeError):
    """The local model server could not be started or did not become healthy."""


def default_threads() -> int:
    """One llama.cpp thread per usable core, minus one core left for the evaluation itself.

    llama.cpp's threads busy-wait at their barriers, so they collapse when another process
    takes a core away. Measured on the 2-core build machine while the Inspect run, judges
    and tests competed for it: 2 threads gave 2-3 tok/s, 1 thread 12 tok/s (4 slots, 4
    concurrent requests). An evaluation always has Python work running beside the server.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores - 1))


@dataclass(frozen=True)
class LocalServerSettings:
    """How to run llama.cpp. `port=0` lets the OS pick a free port (no bind race);
    `threads=None` means `default_threads()`; `poll` is llama.cpp's busy-wait level (0-100);
    `use_jinja` renders the GGUF's own chat template (with `chat_template=""`)."""

    host: str = "127.0.0.1"
    port: int = 0
    parallel: int = 4
    ctx_per_slot: int = 2048
    threads: int | None = None
    chat_template: str = "gemma"
    use_jinja: bool = False
    poll: int = 50
    start_timeout_s: float = 120.0
    stop_timeout_s: float = 10.0


def normalize_base_url(url: str) -> str:
    """`http://h:p`, `http://h:p/`, `http://h:p/v1/` -> `http://h:p/v1` (what OpenAI clients
    want); the server's own address has no /v1 and users paste either form."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def _read_handshake(proc: subprocess.Popen[bytes], deadline: float) -> dict[str, str]:
    """Read the child's one JSON line from stdout, giving up at `deadline` or child exit."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LocalServerError("local model server did not report its address in time")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buffer += chunk
        elif proc.poll() is not None:
            break
    line = buffer.split(b"\n", 1)[0]
    if not line:
        raise LocalServerError(f"local model server exited early (code {proc.poll()})")
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise LocalServerError("local model server sent an unreadable handshake") from exc
    if not isinstance(message, dict):
        raise LocalServerError("local model server sent an unreadable handshake")
    return {str(k): str(v) for k, v in message.items()}


class LocalServer:
    """One llama.cpp server in a child process. Use as a context manager, or call
    `start()` / `stop()`; `stop()` is idempotent and also runs if `start()` fails half-way."""

    def __init__(
        self,
        settings: LocalServerSettings | None = None,
        *,
        model_path: Path | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.settings = settings or LocalServerSettings()
        self._model_path = model_path
        self._log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._address: str | None = None
        self.start_seconds: float | None = None

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (`http://127.0.0.1:PORT/v1`); only valid once started."""
        if self._address is None:
            raise LocalServerError("local model server is not running")
        return normalize_base_url(self._address)

    @property
    def port(self) -> int:
        """The bound TCP port (useful when the OS picked it)."""
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def pid(self) -> int | None:
        """The child's process id, for diagnostics."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> Self:
        """Spawn the child, wait for its address and for /health to answer 200."""
        if self._proc is not None:
            return self
        began = time.monotonic()
        settings = self.settings
        model = self._model_path or model_file()
        log_path = self._log_path or cache_dir() / "local-server.log"
        command = [
            sys.executable,
            # by path, not `-m`: `-m` would import mhsafe.models (and Inspect) in the child,
            # seconds of CPU that the server never uses
            str(Path(__file__).with_name("_server_child.py")),
            f"--model={model}",
            f"--host={settings.host}",
            f"--port={settings.port}",
            f"--parallel={settings.parallel}",
            f"--ctx-per-slot={settings.ctx_per_slot}",
            f"--threads={settings.threads or default_threads()}",
            f"--chat-template={settings.chat_template}",
            f"--poll={settings.poll}",
            *(["--use-jinja"] if settings.use_jinja else []),
        ]
        # Append (two servers may share the cache) but start afresh once the log is large.
        mode = "ab" if log_path.exists() and log_path.stat().st_size < _LOG_LIMIT_BYTES else "wb"
        with log_path.open(mode) as log:
            # The child gets its own session so a terminal's Ctrl-C reaches only the owner,
            # which then stops the child in order; the stdin pipe covers owner death.
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        try:
            deadline = began + settings.start_timeout_s
            message = _read_handshake(self._proc, deadline)
            if "address" not in message:
                raise LocalServerError(
                    f"local model server failed: {message.get('error', 'unknown error')} "
                    f"(log: {log_path})"
                )
            self._address = message["address"]
            while not self.healthy():
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    raise LocalServerError(f"local model server never became healthy ({log_path})")
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        logger.info("local model server on %s (%.1fs)", self.base_url, self.start_seconds)
        return self

    def healthy(self) -> bool:
        """True when the child is alive and GET /health answers 200."""
        if self._proc is None or self._proc.poll() is not None or self._address is None:
            return False
        try:
            # trust_env=False: a corporate HTTP(S)_PROXY must not swallow a loopback probe
            url = self._address.rstrip("/") + "/health"
            response = httpx.get(url, timeout=2.0, trust_env=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def alive(self) -> bool:
        """Cheap liveness (no HTTP): the child process has not exited."""
        return self._proc is not None and self._proc.poll() is None and self._address is not None

    def stop(self) -> None:
        """Close the lifeline (graceful exit), then SIGTERM, then SIGKILL; wait each time."""
        proc, self._proc = self._proc, None
        self._address = None
        if proc is None:
            return
        timeout = self.settings.stop_timeout_s
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SharedServer:
    """The process-wide, lazily started server of one embedded model (`mhsafe/local` here,
    `mhsafe/instruct-local` in `_instruct_server`): one lifecycle for both.

    `env`, when set, names a server that is already running: it wins and nothing is started.
    A shared server whose child died (crash, OOM kill) is replaced by a fresh one, possibly on
    a new port, so callers should re-read the URL rather than cache it forever. Thread-safe;
    stopped at interpreter exit.
    """

    def __init__(
        self, env: str, factory: Callable[[LocalServerSettings | None], LocalServer], label: str
    ) -> None:
        self.env = env
        self.label = label
        self._factory = factory
        self.server: LocalServer | None = None
        self._lock = threading.Lock()
        atexit.register(self.stop)

    def base_url_if_running(self) -> str | None:
        """What `ensure()` would return right now without starting anything (env override or
        a live shared server), else None. Cheap: no HTTP."""
        configured = os.environ.get(self.env)
        if configured:
            return normalize_base_url(configured)
        server = self.server
        if server is not None and server.alive():
            return server.base_url
        return None

    def ensure(self, settings: LocalServerSettings | None = None) -> str:
        """Base URL of the shared server, starting it (or replacing a dead one) on demand."""
        configured = os.environ.get(self.env)
        if configured:
            return normalize_base_url(configured)
        with self._lock:
            if self.server is not None and self.server.alive():
                return self.server.base_url
            if self.server is not None:
                logger.warning("%s died; starting a new one", self.label)
                self.server.stop()
            self.server = self._factory(settings).start()
            return self.server.base_url

    def stop(self) -> None:
        """Stop the shared server if one is running (idempotent)."""
        with self._lock:
            if self.server is not None:
                self.server.stop()
                self.server = None


#: `mhsafe/local`'s shared server; the factory is looked up at call time (tests replace it).
SHARED = SharedServer(BASE_URL_ENV, lambda settings: LocalServer(settings), "local model server")


def shared_base_url_if_running() -> str | None:
    """The base URL a call to `ensure_local_server()` would return right now without starting
    anything (env override or a live shared server), else None. Cheap: no HTTP."""
    return SHARED.base_url_if_running()


def ensure_local_server(settings: LocalServerSettings | None = None) -> str:
    """Base URL of the process-wide local server, starting it on first call (see
    `SharedServer.ensure`: `MHSAFE_LOCAL_BASE_URL`, when set, wins and nothing is started)."""
    return SHARED.ensure(settings)


def serve_local_forever(
    settings: LocalServerSettings | None = None,
    on_ready: Callable[[LocalServer], None] | None = None,
) -> int:
    """Run a server in the foreground until SIGINT/SIGTERM (exit code 0) or until the child
    dies on its own (1). For `mhsafe serve-local`; must be called from the main thread,
    because that is where Python delivers signals."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LocalServer(settings) as server:
            if on_ready is not None:
                on_ready(server)
            while not stop.wait(timeout=0.5):
                if not server.alive():
                    return 1
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
