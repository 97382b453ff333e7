"""The audit's batch stages on Ray Data (``mhsafe audit --executor ray [--address ADDR]``).

Why this shape. The driver keeps the two things that must stay single and ordered: reading the
input (each batch carries the byte/row cursor the checkpoint records) and committing results
(append + fsync + checkpoint, in input order). Everything between -- screening every user turn
(lexicon, embeddings), the intervention check, redaction of what goes to review -- is a pure
function of one batch (see ``_stages``), so it runs on Ray Data workers. Findings are therefore
the same as the local executor's on the same input, and a SIGKILL of the driver loses at most
the batches in flight, exactly as locally.

Batches go to Ray in windows of ``window`` batches (memory stays bounded however long the
input); each window is one Ray Data dataset mapped by tasks. Ray reuses its worker processes,
and each keeps the screen it built (``_SCREENS``), so the embedding model loads once per worker,
not once per batch. Output order is input order (``preserve_order``).

LLM-judge calls do not go to the workers: they run in the driver through the same client, with
the same concurrency bound, as the local executor -- one rate-limited road to the model per
audit, however many Ray workers there are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")


# Screens built on this worker process, by config: Ray reuses worker processes across tasks and
# windows, so each builds its screen (and loads its embedding model) once.
_SCREENS: dict[str, Any] = {}


class _ScreenRecipe:
    """How to build the offline ``RiskScreen`` on a worker. The screen itself does not travel:
    it holds compiled caches (and, once used, an embedding model) that are cheaper to rebuild
    once per worker than to ship with every batch -- and some of them cannot be pickled."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def build(self) -> Any:
        key = self.config.model_dump_json()
        if key not in _SCREENS:
            from mhsafe.judges.screen import RiskScreen

            _SCREENS[key] = RiskScreen(self.config)
        return _SCREENS[key]


def _apply(rows: dict[str, Any], fn: Any) -> dict[str, Any]:
    """Ray Data task: the batch function over this block's batches (one per row)."""
    from mhsafe.audit._pipeline import _BatchFn

    if isinstance(fn, _BatchFn) and isinstance(fn.screen, _ScreenRecipe):
        fn = _BatchFn(fn.screen.build(), fn.checker, fn.judge, fn.options)
    return {"result": [fn(batch) for batch in rows["batch"]]}


class RayExecutor:
    """Runs the audit's batch function on Ray Data; order preserved, memory bounded.

    ``address``: a Ray cluster (``ray://...`` or ``auto``); None starts Ray in this process
    with ``num_cpus`` (tests use 2) and ``temp_dir``. Ray is only initialised on first use and
    only shut down by :meth:`close` if this executor started it. ``window`` batches are in
    flight at once (default ``8 x workers``, ``workers`` defaulting to the cluster's CPUs): the
    bound on memory and on work lost to a driver crash.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        workers: int | None = None,
        window: int | None = None,
        temp_dir: Path | None = None,
        object_store_mb: int | None = None,
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.workers = workers
        self.window = window
        self.temp_dir = temp_dir
        self.object_store_mb = object_store_mb
        self._started = False

    def _init(self) -> int:
        """Connect to (or start) Ray; return the worker count to use."""
        import ray

        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            if self.address:
                kwargs["address"] = self.address
            else:
                if self.num_cpus is not None:
                    kwargs["num_cpus"] = self.num_cpus
                if self.temp_dir is not None:
                    kwargs["_temp_dir"] = str(self.temp_dir)
                if self.object_store_mb is not None:
                    kwargs["object_store_memory"] = self.object_store_mb * 2**20
            ray.init(**kwargs)
            self._started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        return max(1, self.workers or cpus)

    def map(self, fn: Callable[[T], U], items: Iterable[T]) -> Iterator[U]:
        """Apply ``fn`` to every item on Ray workers, yielding results in input order.

        If ``fn`` is the audit's composed batch function with an LLM judge, the judge stage is
        split off and run here, in the driver (see the module docstring).
        """
        remote_fn, local_judge = _split_judge(fn)
        workers = self._init()
        window = self.window or 8 * workers
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        iterator = iter(items)
        while True:
            chunk = list(islice(iterator, window))
            if not chunk:
                return
            dataset = ray.data.from_items([{"batch": b} for b in chunk],
                                          override_num_blocks=len(chunk))
            mapped = dataset.map_batches(_apply, fn_args=(remote_fn,), batch_size=1,  # type: ignore[arg-type]
                                         batch_format="default")
            for row in mapped.iter_rows():
                result = row["result"]
                yield local_judge(result) if local_judge is not None else result

    def close(self) -> None:
        """Shut Ray down if this executor started it."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def _split_judge(fn: Callable[[T], U]) -> tuple[Callable[[T], U], Callable[[U], U] | None]:
    """(what runs on workers, what runs after it in the driver)."""
    from mhsafe.audit._pipeline import _BatchFn
    from mhsafe.audit._stages import judge_batch

    if not isinstance(fn, _BatchFn):
        return fn, None
    from mhsafe.judges.screen import RiskScreen

    screen: Any = fn.screen
    if type(screen) is RiskScreen and screen._embedder is None and screen._classifier is None:
        screen = _ScreenRecipe(screen.config)
    remote: Any = _BatchFn(screen, fn.checker, None, fn.options)
    if fn.judge is None:
        return remote, None
    judge, options = fn.judge, fn.options

    def run_judge(result: Any) -> Any:
        batch, assessed, counts, seconds = result
        began = time.perf_counter()
        assessed = judge_batch(judge, assessed, redact_outgoing=options.redact,
                               concurrency=options.judge_concurrency)
        return batch, assessed, counts, {**seconds, "judge_s": time.perf_counter() - began}

    return remote, run_judge
