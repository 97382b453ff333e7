"""The demo's one overall progress bar: step i of N with an ETA, printed above Inspect's panels.

Why not a live `rich.progress` bar: Inspect's own display is a live panel, and rich allows one
live display at a time. So the bar is a line printed as each step starts (the eval panels of
that step follow it) and the ETA is re-estimated each time from how fast the finished steps
went. Each step has an expected cost (`weight`, seconds on a quiet 2-core machine, see
docs/performance.md); the ETA is the remaining weight times the measured pace (elapsed seconds
per unit of finished weight), so a loaded machine's slowness carries into the estimate after
the first step. The measured seconds per step are kept (`timings()`) so the demo can write
them out: they are how the demo was sized.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.console import Console

BAR_WIDTH = 24


@dataclass(frozen=True)
class Step:
    """One step of the demo: what it is, and what it is expected to cost (quiet seconds)."""

    label: str
    weight: float


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for a duration."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class DemoProgress:
    """Prints `step i of N` with a bar and an ETA as each step starts; records step times."""

    console: Console
    steps: Sequence[Step]
    now: Callable[[], float] = time.perf_counter
    _began: float = field(init=False)
    _done: list[float] = field(init=False, default_factory=list)
    _step_began: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._began = self.now()

    def eta(self) -> float:
        """Seconds still to go: remaining weight at the pace measured so far (at the quiet
        machine's pace before any step has finished)."""
        done_weight = sum(s.weight for s in self.steps[: len(self._done)])
        remaining = sum(s.weight for s in self.steps[len(self._done) :])
        pace = sum(self._done) / done_weight if done_weight > 0 and self._done else 1.0
        return remaining * pace

    def line(self) -> str:
        """The bar for the step about to start (plain text with rich markup)."""
        i = len(self._done)
        total = len(self.steps)
        weight = sum(s.weight for s in self.steps) or 1.0
        filled = round(BAR_WIDTH * sum(s.weight for s in self.steps[:i]) / weight)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        label = self.steps[i].label if i < total else "done"
        elapsed = self.now() - self._began
        return (f"[bold cyan]{bar}[/] step {min(i + 1, total)} of {total} · {label} · "
                f"{clock(elapsed)} · ~{clock(self.eta())} left")

    def start(self) -> None:
        """Print the bar for the next step and start its clock."""
        self.console.print(self.line())
        self._step_began = self.now()

    def finish(self) -> float:
        """Stop the running step's clock; return its seconds."""
        if self._step_began is None:
            raise RuntimeError("finish() without start()")
        seconds = self.now() - self._step_began
        self._done.append(seconds)
        self._step_began = None
        return seconds

    def timings(self) -> list[dict[str, object]]:
        """Finished steps: label, expected (quiet) seconds and measured seconds."""
        return [{"step": s.label, "expected_s": s.weight, "seconds": round(t, 1)}
                for s, t in zip(self.steps, self._done, strict=False)]
