"""The workload stated up front: what was queued, why, and how many reviewer hours it takes.

A review lead must know before assigning anything whether the queue is an afternoon or a month.
The hours are a stated assumption -- ``minutes_per_item`` (a setting: ``create_app`` or
``$MHSAFE_REVIEW_MINUTES_PER_ITEM``) times the expected number of reviews, the double-review
share counted twice -- never a measured promise; the page prints the pace it used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mhsafe.store import QueueProgress

#: Reading a short redacted conversation and answering the form; a stated default, not a
#: measurement of clinicians (the keyboard benchmark measures the form alone).
DEFAULT_MINUTES_PER_ITEM = 3.0
PACE_ENV = "MHSAFE_REVIEW_MINUTES_PER_ITEM"


def pace_from_env(default: float = DEFAULT_MINUTES_PER_ITEM) -> float:
    """The pace setting from the environment, else ``default`` (ValueError when not > 0)."""
    raw = os.environ.get(PACE_ENV)
    value = float(raw) if raw else default
    if not value > 0:
        raise ValueError(f"{PACE_ENV} must be a positive number of minutes")
    return value


@dataclass(frozen=True)
class Workload:
    """One queue's size, reasons, progress and expected reviewer time."""

    run_id: str
    flagged: int
    sample: int
    total: int
    done: int
    blind: bool
    expected_reviews: float
    minutes_per_item: float
    hours: float
    hours_left: float


def workload(queue: QueueProgress, minutes_per_item: float, double_fraction: float) -> Workload:
    """Hours = reviews × pace, where reviews = items × (1 + double-review share)."""
    per_item = 1.0 + double_fraction
    reviews = queue.total * per_item
    left = (queue.total - queue.done) * per_item
    return Workload(
        run_id=queue.run_id, flagged=queue.flagged, sample=queue.sample, total=queue.total,
        done=queue.done, blind=queue.blind, expected_reviews=reviews,
        minutes_per_item=minutes_per_item, hours=reviews * minutes_per_item / 60,
        hours_left=left * minutes_per_item / 60,
    )


def summary_line(flagged: int, sample: int, minutes_per_item: float,
                 double_fraction: float = 0.0) -> str:
    """One sentence for the CLI and the pages: "40 conversations queued (31 flagged, 9 designed
    sample): about 2.4 reviewer hours at 3 min each"."""
    total = flagged + sample
    hours = total * (1 + double_fraction) * minutes_per_item / 60
    extra = f", {double_fraction:.0%} double-reviewed" if double_fraction else ""
    return (f"{total} conversations queued ({flagged} flagged, {sample} designed sample): "
            f"about {hours:.1f} reviewer hours at {minutes_per_item:g} min each{extra}")
