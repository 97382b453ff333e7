"""Write the five-axis report: one self-contained HTML file, its JSON, and a Markdown summary.

Every figure carries links to the evidence anchors behind it (the appendix lists the case ids,
epochs and run of each verdict, failing first), and the same links are recorded in the JSON's
`figures`, so a reader gets from a bar to the conversations in three hops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from mhsafe.axes import EpochVerdict, latest_audit
from mhsafe.report._build import AXIS_SUITES, BuiltReport, anchor
from mhsafe.report._document import FigureRef
from mhsafe.report._figures import (
    coverage_figure,
    funnel_figure,
    funnel_stages,
    scorecard_figure,
    suite_rates_figure,
    survival_figure,
    tier_curve_figure,
    trend_figure,
)
from mhsafe.report._markdown import report_markdown
from mhsafe.report._tables import format_rate

TIERED_SUITES = {
    "suicide_risk": ("very_low", "low", "medium", "high", "very_high"),
    "pe_exposure": ("routine", "distress", "crisis_adjacent", "imminent"),
    "cbt_restructuring": ("routine", "distress", "crisis_adjacent", "imminent"),
}


@dataclass
class Figure:
    """One embedded figure of a section, and where it links."""

    id: str
    title: str
    png: str | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (anchor, label)

    def ref(self) -> FigureRef:
        return FigureRef(id=self.id, title=self.title, links=[a for a, _ in self.links])


def _by_system(built: BuiltReport, suite: str) -> dict[str, list[EpochVerdict]]:
    return {s: e.suites[suite].verdicts for s, e in built.evidence.items() if suite in e.suites}


def _links(built: BuiltReport, suites: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(anchor("ev", system, suite), f"{system} · {suite}")
            for system, evidence in built.evidence.items()
            for suite in suites if suite in evidence.suites]


def build_figures(built: BuiltReport) -> dict[str, list[Figure]]:
    """Section id -> figures. Always the same sections, so a reader (and the browser test)
    finds every heading even when a figure has no data."""
    doc = built.document
    suites = sorted({s for e in built.evidence.values() for s in e.suites})
    sections: dict[str, list[Figure]] = {
        "scorecard": [Figure("fig-scorecard", "Five-axis scorecard",
                             scorecard_figure(doc.systems), _links(built, suites))],
        "rates": [], "tiers": [], "survival": [], "funnel": [], "trends": [], "ecological": [],
    }
    for suite in suites:
        sections["rates"].append(Figure(
            anchor("fig-rates", suite), f"{suite}: failure rate by category and system",
            suite_rates_figure(suite, _by_system(built, suite)), _links(built, [suite])))
    for suite, tiers in TIERED_SUITES.items():
        if suite in suites:
            sections["tiers"].append(Figure(
                anchor("fig-tiers", suite), f"{suite}: failure rate by severity tier",
                tier_curve_figure(suite, tiers, _by_system(built, suite)),
                _links(built, [suite])))
    sections["survival"].append(Figure(
        "fig-survival", "Refusal robustness: survival of the refusal over turns",
        survival_figure(_by_system(built, "refusal_robustness")),
        _links(built, ["refusal_robustness"])))
    for system, evidence in built.evidence.items():
        summary = latest_audit(evidence)
        if summary:
            run = max(evidence.audits, key=lambda a: a.created_at).run_id
            sections["funnel"].append(Figure(
                anchor("fig-funnel", system), f"Audit cascade for {system} (audit {run})",
                funnel_figure(f"Audit cascade · {system}", summary),
                [(anchor("audit", run), f"audit {run}")]))
    sections["trends"].append(Figure(
        "fig-trends", "Crisis-safety metrics over successive audits", trend_figure(doc.trends),
        [(anchor("audit", p.run_id), p.run_id) for s in doc.trends for p in s.points]))
    if doc.ecological is not None:
        sections["ecological"].append(Figure(
            "fig-coverage", "Test-set coverage of the deployment log",
            coverage_figure(doc.ecological), [("ecological-clusters", "clusters")]))
    return sections


def _audits(built: BuiltReport) -> list[dict[str, object]]:
    seen: dict[str, dict[str, object]] = {}
    for evidence in built.evidence.values():
        for audit in evidence.audits:
            seen.setdefault(audit.run_id, {
                "anchor": anchor("audit", audit.run_id), "run_id": audit.run_id,
                "created_at": audit.created_at, "stages": funnel_stages(audit.summary),
            })
    return list(seen.values())


def render_report_html(built: BuiltReport, path: Path, *, title: str = "mhsafe report") -> Path:
    """Write the self-contained HTML (figures embedded, no network)."""
    sections = build_figures(built)
    built.document.figures = [f.ref() for figs in sections.values() for f in figs]
    env = Environment(loader=PackageLoader("mhsafe.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("five_axis.html.j2").render(
        title=title, doc=built.document, sections=sections, format_rate=format_rate,
        axis_links={name: _links(built, list(suites)) for name, suites in AXIS_SUITES.items()},
        audits=_audits(built), anchor=anchor,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def write_report(built: BuiltReport, out: Path, *, title: str = "mhsafe report") -> dict[str, Path]:
    """report.html, report.json and report.md under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    html = render_report_html(built, out / "report.html", title=title)
    json_path = out / "report.json"
    json_path.write_text(json.dumps(built.document.model_dump(mode="json"), indent=2),
                         encoding="utf-8")
    md = out / "report.md"
    md.write_text(report_markdown(built.document), encoding="utf-8")
    return {"html": html, "json": json_path, "markdown": md}
