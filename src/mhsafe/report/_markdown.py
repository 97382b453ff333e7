"""The Markdown summary for a pull request: the scorecard, the failed checks, what changed.

Short by design: a reviewer sees each system's five axes, every failed check with its margin,
significant changes between audits and the coverage of the test set; the HTML holds the rest.
"""

from __future__ import annotations

from mhsafe.report._document import ReportDocument
from mhsafe.report._tables import format_rate
from mhsafe.schema import Metric

STATUS = {"pass": "✅ pass", "fail": "❌ fail", "no_data": "⚪ no data"}


def _metric(m: Metric) -> str:
    if m.ci_low is None and m.estimate is not None:
        return f"{m.name} = {m.estimate:.3g} (n={m.n})"
    shown = format_rate(m) if m.estimate is not None else "no data"
    return f"{m.name} = {shown} (n={m.n}, unjudged {m.unjudged})"


def report_markdown(doc: ReportDocument) -> str:
    """The PR comment."""
    lines = [f"## mhsafe five-axis report ({doc.generated})", ""]
    if doc.gate is not None:
        verdict = "**PASSED**" if doc.gate.passed else f"**FAILED** ({len(doc.gate.failures)})"
        lines += [f"Gate: {verdict}", ""]
    for system in doc.systems:
        lines += [f"### {system.system}", "", "| axis | status | metrics | unjudged |",
                  "|---|---|---|---|"]
        for axis in system.axes:
            shown = "; ".join(_metric(m) for m in axis.metrics if not m.group) or "—"
            lines.append(f"| {axis.title} | {STATUS.get(axis.status, axis.status)} | {shown} "
                         f"| {axis.unjudged}/{axis.total} |")
        lines.append("")
        failed = [(a, c) for a in system.axes for c in a.checks if not c.passed]
        if failed:
            lines.append("Failed checks:")
            lines += [f"- {a.title} · `{c.metric}`: {c.reason}" for a, c in failed]
            lines.append("")
    changes = [(s, p) for s in doc.trends for p in s.points if p.significant]
    if changes:
        lines.append("Significant changes between audits (Holm):")
        for s, p in changes:
            lines.append(f"- {s.system} · {s.metric} at {p.created_at[:10]}: change "
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
