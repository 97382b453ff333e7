"""Rate tables for the terminal (Rich)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from mhsafe.report._tables import format_rate
from mhsafe.schema import Metric


def print_rate_table(console: Console, metrics: Sequence[Metric], *, title: str) -> None:
    """One row per group: n judged, failures, rate with CI, unjudged (shown, never hidden)."""
    table = Table(title=title)
    for column in ("group", "n", "failed", "rate [95% CI]", "unjudged", "method"):
        table.add_column(column)
    for metric in metrics:
        group = ", ".join(metric.group.values()) or metric.name
        table.add_row(
            group,
            str(metric.n),
            str(metric.successes if metric.successes is not None else "—"),
            format_rate(metric),
            str(metric.unjudged),
            metric.method,
        )
    console.print(table)
