"""A self-contained HTML report of evaluation runs (tables + embedded plots, no network).

Each section is one run: its per-category failure rates with intervals and a bar chart with
error bars rendered to PNG and embedded as base64, so the file opens offline and can be attached
to a ticket. The five-axis report builds on these sections.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from mhsafe.report._tables import format_rate
from mhsafe.schema import Metric


@dataclass
class RunSection:
    """One run's table and figure in the report."""

    anchor: str
    title: str
    note: str
    metrics: list[Metric]
    figure: str | None = None
    rows: list[dict[str, object]] = field(default_factory=list)


def rate_figure(metrics: Sequence[Metric], *, title: str) -> str | None:
    """Horizontal bars of failure rate per group with 95% error bars, as base64 PNG."""
    plotted = [m for m in metrics if m.estimate is not None and m.ci_low is not None]
    if not plotted:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [", ".join(m.group.values()) or m.name for m in plotted]
    values = [float(m.estimate or 0.0) for m in plotted]
    lower = [v - float(m.ci_low or 0.0) for v, m in zip(values, plotted, strict=True)]
    upper = [float(m.ci_high or 0.0) - v for v, m in zip(values, plotted, strict=True)]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(plotted) + 1.2))
    ax.barh(labels, values, xerr=[lower, upper], color="#4c72b0", capsize=3)
    ax.set_xlim(0, 1)
    ax.set_xlabel("failure rate (95% CI)")
    ax.set_title(title)
    ax.invert_yaxis()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _rows(metrics: Sequence[Metric]) -> list[dict[str, object]]:
    return [
        {
            "group": ", ".join(m.group.values()) or m.name,
            "n": m.n,
            "failed": m.successes if m.successes is not None else "—",
            "rate": format_rate(m),
            "unjudged": m.unjudged,
        }
        for m in metrics
    ]


def render_html(
    sections: Sequence[RunSection], *, title: str, store_url: str, path: Path
) -> Path:
    """Write the report; returns its path."""
    env = Environment(
        loader=PackageLoader("mhsafe.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    for section in sections:
        section.rows = _rows(section.metrics)
        if section.figure is None:
            section.figure = rate_figure(section.metrics, title=section.title)
    html = env.get_template("report.html.j2").render(
        title=title,
        sections=sections,
        store_url=store_url,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ci_method="Wilson",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
