"""Run a suite through Inspect with results streamed into the store.

The runner owns the run's life: create (or reopen, for `--resume`) the run row, bind the
`RunContext` so the solver skips finished (case, epoch) pairs and the scorer stores each verdict
as it is decided, call `inspect_ai.eval`, then close the run. A SIGKILL at any point loses at most
the samples in flight; `--resume RUN` finishes the rest without repeating the stored ones.
The store is reached through the `RunStore` protocol, so this room never imports `store/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.model import GenerateConfig, Model, get_model

from mhsafe.schema import Case, Verdict
from mhsafe.suites._context import ResultSink, RunContext, set_current_run


class RunStore(ResultSink, Protocol):
    """The store operations a run needs."""

    def create_run(
        self,
        kind: str,
        name: str,
        *,
        model: str | None = None,
        judge: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> str: ...

    def finish_run(
        self, run_id: str, status: str = "finished", summary: dict[str, Any] | None = None
    ) -> None: ...

    def verdicts(self, run_id: str) -> Sequence[Verdict]:
        """Stored verdicts; each also carries the `epoch` it belongs to."""
        ...


@dataclass
class RunOutcome:
    """What one call of `run_suite` did; `missing` pairs errored and are retried by --resume."""

    run_id: str
    log_path: str | None
    expected: int
    stored: int
    resumed: int
    missing: int
    status: str


def previous_verdicts(store: RunStore, run_id: str) -> dict[tuple[str, int], Verdict]:
    """Verdicts already stored for a run, keyed by (case id, epoch)."""
    verdict_fields = set(Verdict.model_fields)
    found: dict[tuple[str, int], Verdict] = {}
    for stored in store.verdicts(run_id):
        data = {k: v for k, v in stored.model_dump().items() if k in verdict_fields}
        epoch = int(getattr(stored, "epoch", 1))
        found[(str(stored.case_id), epoch)] = Verdict.model_validate(data)
    return found


def _bounded(model: str | Model, max_retries: int, attempt_timeout: int) -> Model:
    """The model under test with bounded retries. Set on the model, not on the eval: an
    eval-wide `max_retries` would be inherited by the judges, whose own loop counts attempts."""
    if isinstance(model, Model):
        return model
    return get_model(
        model, config=GenerateConfig(max_retries=max_retries, attempt_timeout=attempt_timeout)
    )


def run_suite(
    task: Task,
    *,
    suite: str,
    cases: list[Case],
    model: str | Model,
    store: RunStore,
    kind: str = "eval",
    judges: Sequence[str] = (),
    epochs: int = 1,
    limit: int | None = None,
    resume: str | None = None,
    log_dir: str | Path = "logs",
    max_connections: int = 4,
    display: str = "rich",
    config: dict[str, Any] | None = None,
    max_retries: int = 6,
    attempt_timeout: int = 180,
    sample_retries: int = 3,
) -> RunOutcome:
    """Evaluate `task` with `model`, storing every verdict under one run id.

    Failures of the system under test are bounded, never silent: each model call is retried
    `max_retries` times with Inspect's exponential backoff (429, 5xx, timeouts, dropped
    connections), each attempt capped at `attempt_timeout` seconds; a sample whose generation
    still errors -- or errors in a way Inspect does not retry, such as a 200 reply whose body is
    not JSON -- is re-queued up to `sample_retries` times. What fails after that stays missing
    (counted, exit code 3) and `--resume` retries it; it is never stored as a verdict.
    """
    run_config = {"epochs": epochs, "limit": limit, "judges": list(judges), **(config or {})}
    if resume:
        run_id = resume
    else:
        run_id = store.create_run(
            kind, suite, model=str(model), judge=",".join(judges) or None, config=run_config
        )
    context = RunContext(run_id=run_id, sink=store, previous=previous_verdicts(store, run_id))
    set_current_run(context)
    log_path: str | None = None
    status = "finished"
    try:
        logs = inspect_eval(
            task,
            model=_bounded(model, max_retries, attempt_timeout),
            limit=limit,
            log_dir=str(log_dir),
            display=display,  # type: ignore[arg-type]
            max_connections=max_connections,
            fail_on_error=False,
            retry_on_error=sample_retries,
            tags=["mhsafe", f"run:{run_id}"],
            metadata={"mhsafe_run_id": run_id, "suite": suite},
        )
        if logs:
            log_path = logs[0].location
            if logs[0].status != "success":
                status = "failed"
    except BaseException:
        store.finish_run(run_id, status="failed")
        raise
    finally:
        set_current_run(None)
    n_cases = min(len(cases), limit) if limit else len(cases)
    expected = n_cases * epochs
    done = len(store.done_keys(run_id))
    missing = max(expected - done, 0)
    if missing:
        status = "failed"  # the summary says how many pairs are missing; --resume finishes them
    store.finish_run(
        run_id,
        status=status,
        summary={"expected": expected, "done": done, "missing": missing, "log": log_path},
    )
    return RunOutcome(
        run_id=run_id,
        log_path=log_path,
        expected=expected,
        stored=context.stored,
        resumed=context.resumed,
        missing=missing,
        status=status,
    )
