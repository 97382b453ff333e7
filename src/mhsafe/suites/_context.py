"""Where a running evaluation writes its results.

Inspect runs our solvers and scorers inside its own event loop, in this process. The runner sets
a `RunContext` before calling `inspect_ai.eval` so the solver can skip (case, epoch) pairs that a
killed run already finished and the scorer can store each verdict the moment it exists. When a
task runs under plain `inspect eval` there is no context: results live only in Inspect's log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from mhsafe.schema import Transcript, Verdict


class ResultSink(Protocol):
    """The part of the store a running evaluation needs (kept narrow so tests can fake it)."""

    def add_result(
        self, run_id: str, transcript: Transcript, verdict: Verdict, *, case_id: str, epoch: int
    ) -> object: ...

    def done_keys(self, run_id: str) -> set[tuple[str, int]]: ...

    def transcript(self, run_id: str, case_id: str, epoch: int) -> Transcript | None: ...


@dataclass
class RunContext:
    """One evaluation run: its id in the store, the sink, and the pairs already finished."""

    run_id: str
    sink: ResultSink
    previous: dict[tuple[str, int], Verdict] = field(default_factory=dict)
    stored: int = 0
    resumed: int = 0


# A plain module global, not a ContextVar: Inspect may run its loop in another thread, and one
# process evaluates one run at a time.
_current: list[RunContext | None] = [None]


def current_run() -> RunContext | None:
    """The run the solver and scorer belong to, or None under plain `inspect eval`."""
    return _current[0]


def set_current_run(context: RunContext | None) -> None:
    """Bind (or clear) the run; the runner clears it in a finally block."""
    _current[0] = context
