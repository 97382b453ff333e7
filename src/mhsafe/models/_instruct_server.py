"""The embedded *instruction-tuned* model server: Qwen2.5-Coder-1.5B-Instruct on llama.cpp.

Why a second embedded model: Gemma 3 270M (`mhsafe/local`) is a base model. It cannot play a
patient in the PE/CBT scenarios and it cannot judge, so without this model every simulated
patient and every LLM judge needed a hosted API. This one follows instructions well enough to
play a patient and to fill a rubric's JSON with worked examples beside it, on 2 CPU cores.

Same life cycle as `mhsafe/local` (the `LocalServer` child process: start on demand, `/health`,
dies with its owner, stopped at interpreter exit); what differs is the weights
(`_instruct_file`, hash-checked), the chat template (the GGUF's own ChatML through jinja; the
"gemma" name that `mhsafe/local` needs would garble Qwen's turns), and the sizing below.
`MHSAFE_INSTRUCT_BASE_URL` points everything at a server that is already running instead.

Sizing (bench/instruct_local.py, 2 shared cores; figures in docs/performance.md): a 1.5B model
is compute-bound on 2 cores, so batching buys little: 2 slots saturate the cores and
more slots only add queueing latency (and KV memory). Context: 4096 tokens per slot holds the
judge's system prompt with its worked examples (~900 tokens), a clipped transcript and the
answer. Threads: as for `mhsafe/local` (`default_threads()`), because llama.cpp's spinning
threads collapse when the evaluation's own Python work takes a core.
"""

from __future__ import annotations

from typing import Self

from ._cache import cache_dir
from ._local_server import LocalServer, LocalServerSettings, SharedServer

INSTRUCT_BASE_URL_ENV = "MHSAFE_INSTRUCT_BASE_URL"
INSTRUCT_PARALLEL = 2
INSTRUCT_CTX_PER_SLOT = 4096


def instruct_settings(
    *, parallel: int = INSTRUCT_PARALLEL, ctx_per_slot: int = INSTRUCT_CTX_PER_SLOT
) -> LocalServerSettings:
    """Server settings for the instruct model: its own ChatML template via jinja."""
    return LocalServerSettings(
        parallel=parallel,
        ctx_per_slot=ctx_per_slot,
        chat_template="",
        use_jinja=True,
        start_timeout_s=300.0,  # a first start assembles and hashes 1.1 GB
    )


class InstructServer(LocalServer):
    """`LocalServer` on the instruct weights: the GGUF is assembled and verified on `start()`
    (not at construction), so building one never reads 1.1 GB."""

    def __init__(self, settings: LocalServerSettings | None = None) -> None:
        super().__init__(
            settings or instruct_settings(), log_path=cache_dir() / "instruct-server.log"
        )

    def start(self) -> Self:
        """Verify (or assemble) the weights, then start as `LocalServer` does."""
        from ._instruct_file import instruct_model_file

        if self._model_path is None:
            self._model_path = instruct_model_file()
        return super().start()


def instruct_server(settings: LocalServerSettings | None = None) -> LocalServer:
    """An unstarted server for the instruct model."""
    return InstructServer(settings)


#: The instruct model's shared server: the same lifecycle as `mhsafe/local`'s.
SHARED = SharedServer(INSTRUCT_BASE_URL_ENV, instruct_server, "instruct model server")


def instruct_base_url_if_running() -> str | None:
    """What `ensure_instruct_server()` would return now without starting anything, else None."""
    return SHARED.base_url_if_running()


def ensure_instruct_server(settings: LocalServerSettings | None = None) -> str:
    """Base URL of the process-wide instruct server, starting it on first call (see
    `SharedServer.ensure`: `MHSAFE_INSTRUCT_BASE_URL`, when set, wins)."""
    return SHARED.ensure(settings)
