"""Reports: tables, comparisons, the HTML/JSON/Markdown report and the gate.

Public face only; the files behind it are private.
"""

from mhsafe.report._compare import (
    ComparisonRow,
    compare_runs,
    comparison_json,
    comparison_markdown,
)
from mhsafe.report._console import print_rate_table
from mhsafe.report._html import RunSection, rate_figure, render_html
from mhsafe.report._tables import failure_rates, format_rate

__all__ = [
    "ComparisonRow",
    "RunSection",
    "compare_runs",
    "comparison_json",
    "comparison_markdown",
    "failure_rates",
    "format_rate",
    "print_rate_table",
    "rate_figure",
    "render_html",
]
