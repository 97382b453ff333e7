"""`mhsafe compare` on the terminal: the same rows as compare.md, in 80 columns.

The Markdown table (eleven columns, run ids in the headers) is for a pull request; rendered on
a terminal it squeezes every cell, run ids included, into "20261…". Here the two runs are named
once above the table, whole, and the table keeps what a reader compares: failure rate with its
Wilson interval on each side, the Newcombe difference, and the Holm-adjusted p. The test's name
and the unjudged counts stay in compare.md and compare.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from mhsafe.report import ComparisonRow


def _rate(rate: float | None, low: float | None, high: float | None) -> str:
    if rate is None or low is None or high is None:
        return "—"
    return f"{100 * rate:.1f} [{100 * low:.0f}, {100 * high:.0f}]"


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g}"


def print_comparison(
    console: Console, rows: Sequence[ComparisonRow], a: tuple[str, str | None],
    b: tuple[str, str | None],
) -> None:
    """Print the comparison; `a` and `b` are (run id, run name or None)."""
    from rich.table import Table

    for label, (run_id, name) in (("A", a), ("B", b)):
        console.print(f"{label}: {run_id}" + (f" ({name})" if name else ""), soft_wrap=True)
    suites = {r.suite for r in rows}
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold",
                  title=None if len(suites) != 1 else f"failure rate, % [95% CI] · "
                  f"{next(iter(suites))}")
    table.add_column("group", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("n A/B", no_wrap=True, justify="right")
    table.add_column("A", no_wrap=True)
    table.add_column("B", no_wrap=True)
    table.add_column("A - B [95% CI]", no_wrap=True)
    table.add_column("p Holm", no_wrap=True, justify="right")
    for r in rows:
        group = r.category if len(suites) == 1 else f"{r.suite}/{r.category}"
        table.add_row(group, f"{r.a.n}/{r.b.n}", _rate(r.a.rate, r.a.ci_low, r.a.ci_high),
                      _rate(r.b.rate, r.b.ci_low, r.b.ci_high),
                      _rate(r.difference, r.diff_low, r.diff_high), _p(r.pvalue_holm))
    console.print(table)
