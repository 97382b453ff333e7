"""The child process that hosts llama.cpp (run as `python path/to/_server_child.py ...`).

Why a child process and not a thread in the caller: xllamacpp's `Server` has no stop method
(it stops in its destructor), a native crash in llama.cpp would take the whole evaluation down
with it, and the HTTP server must outlive nothing but its owner. So the owner talks to this
process through two pipes:

* **stdin is the lifeline.** The owner holds the write end and never writes. When the owner
  exits for any reason, SIGKILL included, the kernel closes that end, our read returns EOF and
  we shut down. (PR_SET_PDEATHSIG would fire when the *thread* that spawned us exits, which
  breaks owners that start the server from a worker thread, so we do not use it.)
* **stdout is the handshake.** Exactly one JSON line: `{"address": "http://127.0.0.1:PORT"}`
  once the model is loaded and the port bound, or `{"error": "..."}`. llama.cpp's own
  printing goes to stderr (we point fd 1 at fd 2 before loading), so it cannot corrupt the
  handshake.

SIGTERM and SIGINT also stop the server cleanly. This file imports only the standard library
and xllamacpp, so the owner runs it by path and the child skips importing mhsafe and Inspect.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from types import FrameType


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mhsafe.models._server_child")
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--ctx-per-slot", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=-1)
    parser.add_argument("--chat-template", default="gemma")
    parser.add_argument("--poll", type=int, default=50)
    parser.add_argument("--use-jinja", action="store_true")
    return parser.parse_args(argv)


def _watch_lifeline(stop: threading.Event) -> None:
    """Block on stdin until EOF (the owner is gone or asked us to stop), then signal stop."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    """Load the model, serve until the lifeline breaks or a signal arrives; return exit code."""
    args = _parse(argv)
    handshake = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # native stdout -> stderr, keep the handshake channel clean

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    threading.Thread(target=_watch_lifeline, args=(stop,), daemon=True).start()

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx_per_slot * args.parallel  # llama.cpp splits n_ctx across slots
    params.cont_batching = True
    # Gemma's GGUF template only renders through the legacy path; with jinja on, llama.cpp
    # uses the literal word "gemma" as the template. An instruct model with its own template
    # in the GGUF (Qwen's ChatML) passes --use-jinja and no template name.
    params.chat_template = args.chat_template
    params.use_jinja = args.use_jinja
    params.ui = False
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.cpuparams.poll = args.poll
    params.cpuparams_batch.poll = args.poll
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # report any load failure through the handshake, then exit
        handshake.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        handshake.close()
        return 1
    handshake.write(json.dumps({"address": server.listening_address}) + "\n")
    handshake.close()

    while not stop.wait(timeout=0.25):
        pass
    del server  # the destructor stops the HTTP server and frees the model
    return 0


if __name__ == "__main__":
    sys.exit(main())
