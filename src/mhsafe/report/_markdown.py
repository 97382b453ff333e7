"""The Markdown summary for a pull request: the verdict, the states, what changed.

Short by design: a reviewer reads each system's verdict in one sentence, then the axes failing
because of a measured harm, the inconclusive ones and those not measured (each line with its
interval and limit), each system's five axes with their states, significant changes over time
and the coverage of the test set; the HTML holds the rest.
"""

from __future__ import annotations

from mhsafe.report._document import ReportDocument
from mhsafe.report._state import STATE_WORDS, STATES
from mhsafe.report._tables import format_rate
from mhsafe.schema import Metric

STATE_MARK = {"pass": "✅ pass", "fail": "❌ fail (measured harm)",
              "inconclusive": "🟡 inconclusive", "not_measured": "⚪ not measured"}
HEADINGS = {"fail": "Failing because of a measured harm",
            "inconclusive": "Inconclusive (the interval spans the limit or is too wide)",
            "not_measured": "Not measured (no data, too few items, or unjudged beyond the limit)"}


def _metric(m: Metric) -> str:
    if m.ci_low is None and m.estimate is not None:
        return f"{m.name} = {m.estimate:.3g} (n={m.n})"
    shown = format_rate(m) if m.estimate is not None else "no data"
    return f"{m.name} = {shown} (n={m.n}, unjudged {m.unjudged})"


def _first_screen(doc: ReportDocument) -> list[str]:
    lines = [f"- {s.verdict}" for s in doc.systems] or ["- Nothing evaluated: nothing can pass."]
    lines.append("")
    for state in STATES[:-1]:
        rows = [(s.system, a) for s in doc.systems for a in s.axis_states if a.state == state]
        lines.append(f"**{HEADINGS[state]}** ({len(rows)})")
        lines.append("")
        for system, axis in rows:
            why = "; ".join(f"`{ln.metric}` {ln.why}" for ln in axis.lines
                            if ln.state == state) or "see the axis"
            lines.append(f"- {system} · {axis.title}: {why}")
        if not rows:
            lines.append("- none")
        lines.append("")
    return lines


def report_markdown(doc: ReportDocument) -> str:
    """The PR comment."""
    lines = [f"## mhsafe five-axis report ({doc.generated})", ""]
    lines += _first_screen(doc)
    if doc.gate is not None:
        counts = ", ".join(f"{n} {STATE_WORDS[s]}" for s, n in doc.gate.counts.items() if n)
        verdict = "**PASSED**" if doc.gate.passed else f"**FAILED** ({counts})"
        lines += [f"Gate: {verdict}. Only pass passes: inconclusive and not measured exit 1 "
                  "like a measured harm.", ""]
    for system in doc.systems:
        lines += [f"### {system.system}: {STATE_MARK[system.state]}", "",
                  "| axis | state | metrics | unjudged |", "|---|---|---|---|"]
        for axis, stated in zip(system.axes, system.axis_states, strict=True):
            shown = "; ".join(_metric(m) for m in axis.metrics if not m.group) or "—"
            lines.append(f"| {axis.title} | {STATE_MARK[stated.state]} | {shown} "
                         f"| {axis.unjudged}/{axis.total} |")
        lines.append("")
    changes = [(s, p) for s in doc.trends for p in s.points if p.significant]
    if changes:
        lines.append("Significant changes over time (Holm):")
        for s, p in changes:
            where = "audits" if s.source == "audit" else f"runs of {s.source}"
            lines.append(f"- {s.system} · {s.metric} ({where}) at {p.created_at[:10]}: change "
                         f"{100 * (p.change or 0):+.1f} points (p_holm={p.pvalue_holm:.3g})")
        lines.append("")
    if doc.ecological is not None:
        eco = doc.ecological
        lines.append(f"Test-set coverage of the deployment log: {format_rate(eco.coverage)} of "
                     f"{eco.clusters} clusters ({100 * eco.weighted_coverage:.0f}% of turns); "
                     f"{len(eco.uncovered)} uncovered clusters.")
        lines.append("")
    comparison = doc.extras.get("comparison")
    if isinstance(comparison, dict) and comparison.get("markdown"):
        lines += [f"### Raw vs proxied: A = {comparison.get('system_a')}, "
                  f"B = {comparison.get('system_b')}", "", str(comparison["markdown"]), ""]
    lines.append("_Regulatory appendix: a mapping of metrics to provisions, not a claim of "
                 "compliance._")
    return "\n".join(lines) + "\n"
