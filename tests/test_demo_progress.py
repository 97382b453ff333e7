"""The demo's overall progress bar: step i of N, an ETA from the measured pace, step times."""

from __future__ import annotations

import io

from rich.console import Console

from mhsafe._demo_progress import DemoProgress, Step, clock


def _progress(steps: list[Step]) -> tuple[DemoProgress, list[float], io.StringIO]:
    now = [0.0]
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    return DemoProgress(console, steps, now=lambda: now[0]), now, buffer


def test_clock_formats_minutes_and_hours() -> None:
    assert clock(0) == "0:00"
    assert clock(61.4) == "1:01"
    assert clock(3725) == "1:02:05"


def test_eta_starts_from_the_weights_then_follows_the_measured_pace() -> None:
    progress, now, buffer = _progress([Step("a", 10), Step("b", 30), Step("c", 60)])
    assert progress.eta() == 100  # nothing finished: the quiet machine's estimate
    progress.start()
    now[0] = 20.0  # step a took twice its weight: the machine runs at half speed
    assert progress.finish() == 20.0
    assert progress.eta() == 180  # (30 + 60) remaining x 2 s per unit
    progress.start()
    first, second = buffer.getvalue().splitlines()
    assert "step 1 of 3 · a" in first and "~1:40 left" in first
    assert "step 2 of 3 · b" in second and "0:20" in second and "~3:00 left" in second
    assert second.count("█") == 2 and second.count("░") == 22  # 10 of 100 units done


def test_timings_list_each_finished_step() -> None:
    progress, now, _ = _progress([Step("a", 5), Step("b", 5)])
    progress.start()
    now[0] = 7.25
    progress.finish()
    assert progress.timings() == [{"step": "a", "expected_s": 5, "seconds": 7.2}]
