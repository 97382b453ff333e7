"""Write the five-axis report: one self-contained HTML file, its JSON, and a Markdown summary.

The first screen is the verdict in one sentence per system, then the axes failing because of a
measured harm, then the inconclusive ones, then those not measured. Every figure carries links
to the per-item table behind it (a bar links to its own items through `#items?…`, a caption to
each (system, suite) run's anchor), and the same links are recorded in the JSON's `figures`.
The table is filtered and sorted in the page by a small embedded script (no server, no
external assets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from mhsafe.axes import EpochVerdict, latest_audit
from mhsafe.report._build import AXIS_SUITES, BuiltReport, anchor
from mhsafe.report._document import FigureRef
from mhsafe.report._figures import (
    coverage_figure,
    funnel_figure,
    funnel_stages,
    items_link,
    scorecard_figure,
    suite_rates_figure,
    survival_figure,
    tier_curve_figure,
    trend_figure,
)
from mhsafe.report._markdown import report_markdown
from mhsafe.report._state import STATE_WORDS, STATES
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
    svg: str | None
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
        if summary:  # audits carry the system whose logs they are: shown once, under it
            run = max(evidence.audits, key=lambda a: a.created_at).run_id
            sections["funnel"].append(Figure(
                anchor("fig-funnel", system), f"Audit cascade for {system} (audit {run})",
                funnel_figure(f"Audit cascade · {system}", summary),
                [(anchor("audit", run), f"audit {run}")]))
    trend_links = [(anchor("audit", p.run_id), p.run_id) for s in doc.trends
                   if s.source == "audit" for p in s.points]
    trend_links += [(anchor("ev", s.system, s.source), f"{s.system} · {s.source}")
                    for s in doc.trends if s.source != "audit"
                    and s.source in built.evidence[s.system].suites]
    sections["trends"].append(Figure(
        "fig-trends", "Audit and evaluation metrics over successive runs",
        trend_figure(doc.trends), list(dict.fromkeys(trend_links))))
    if doc.ecological is not None:
        sections["ecological"].append(Figure(
            "fig-coverage", "Test-set coverage of the deployment log",
            coverage_figure(doc.ecological), [("ecological-clusters", "clusters")]))
    return sections


def _audits(built: BuiltReport) -> dict[str, list[dict[str, object]]]:
    """system -> its audits, newest first; an audit appears under one system only."""
    seen: set[str] = set()
    out: dict[str, list[dict[str, object]]] = {}
    for system, evidence in built.evidence.items():
        for audit in sorted(evidence.audits, key=lambda a: a.created_at, reverse=True):
            if audit.run_id in seen:
                continue
            seen.add(audit.run_id)
            out.setdefault(system, []).append({
                "anchor": anchor("audit", audit.run_id), "run_id": audit.run_id,
                "created_at": audit.created_at, "stages": funnel_stages(audit.summary),
                "by_stage": dict(audit.summary.get("flagged_by_stage") or {}),
            })
    return out


def first_screen(built: BuiltReport) -> list[dict[str, object]]:
    """Per state (fail, inconclusive, not measured): every (system, axis) in it, with the
    lines that put it there. Passing axes are not on the first screen."""
    groups: list[dict[str, object]] = []
    for state in STATES[:-1]:
        rows = [{"system": s.system, "axis": a.axis, "title": a.title,
                 "anchor": anchor("axis", s.system, a.axis),
                 "lines": [ln for ln in a.lines if ln.state == state] or a.lines}
                for s in built.document.systems for a in s.axis_states if a.state == state]
        groups.append({"state": state, "words": STATE_WORDS[state], "rows": rows})
    return groups


def render_report_html(built: BuiltReport, path: Path, *, title: str = "mhsafe report") -> Path:
    """Write the self-contained HTML (figures embedded, no network)."""
    sections = build_figures(built)
    built.document.figures = [f.ref() for figs in sections.values() for f in figs]
    env = Environment(loader=PackageLoader("mhsafe.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("five_axis.html.j2").render(
        title=title, doc=built.document, sections=sections, format_rate=format_rate,
        axis_links={name: _links(built, list(suites)) for name, suites in AXIS_SUITES.items()},
        audits=_audits(built), anchor=anchor, state_words=STATE_WORDS,
        first_screen=first_screen(built), items_link=items_link,
        has_text=any(i.reply is not None for s in built.document.systems
                     for ev in s.evidence for i in ev.items),
        script=resources.files("mhsafe.report").joinpath("templates/drilldown.js")
        .read_text("utf-8"),
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
