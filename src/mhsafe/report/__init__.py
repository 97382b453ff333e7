"""Reports: tables, comparisons, the five-axis HTML/JSON/Markdown report and the gate.

Public face only; the files behind it are private. The road: `build_report(store, thresholds)`
gathers every system's evidence and scores the five axes; `write_report` writes report.html
(self-contained), report.json (schema: `report_json_schema()`, docs/report.schema.json) and
report.md; `decide_gate` / `format_gate` turn the axes into a CI exit code. Every thresholded
line has one of four states (`axis_state`: pass, fail = a measured harm, inconclusive, not
measured); only pass passes the gate.
"""

from mhsafe.report._build import AXIS_SUITES, BuiltReport, Redact, build_report, evidence_lists
from mhsafe.report._compare import (
    ComparisonRow,
    compare_runs,
    comparison_json,
    comparison_markdown,
)
from mhsafe.report._console import print_rate_table
from mhsafe.report._document import (
    ClusterSummary,
    EcologicalValidity,
    EvidenceItem,
    EvidenceList,
    FigureRef,
    JudgeDecision,
    RegulatoryRow,
    ReportDocument,
    SystemReport,
    TrendPoint,
    TrendSeries,
    report_json_schema,
)
from mhsafe.report._ecological import Embed, ecological_validity, energy_distance
from mhsafe.report._evidence import EvidenceSource, gather_evidence, systems_in
from mhsafe.report._five_axis import build_figures, render_report_html, write_report
from mhsafe.report._gate import GateDecision, GateFailure, decide_gate, format_gate
from mhsafe.report._gate_compose import gate_decision, scored_systems
from mhsafe.report._markdown import report_markdown
from mhsafe.report._pairing import compare_stored_runs, keyed_verdicts
from mhsafe.report._regulatory import regulatory_mapping
from mhsafe.report._state import (
    AxisState,
    LineState,
    StatedLine,
    axis_state,
    system_state,
    verdict_sentence,
)
from mhsafe.report._tables import failure_rates, format_rate
from mhsafe.report._trend import audit_trends, eval_trends

__all__ = [
    "AXIS_SUITES",
    "AxisState",
    "BuiltReport",
    "ClusterSummary",
    "ComparisonRow",
    "EcologicalValidity",
    "Embed",
    "EvidenceItem",
    "EvidenceList",
    "EvidenceSource",
    "FigureRef",
    "GateDecision",
    "GateFailure",
    "JudgeDecision",
    "LineState",
    "Redact",
    "RegulatoryRow",
    "ReportDocument",
    "StatedLine",
    "SystemReport",
    "TrendPoint",
    "TrendSeries",
    "audit_trends",
    "axis_state",
    "build_figures",
    "build_report",
    "compare_runs",
    "compare_stored_runs",
    "comparison_json",
    "comparison_markdown",
    "decide_gate",
    "ecological_validity",
    "energy_distance",
    "eval_trends",
    "evidence_lists",
    "failure_rates",
    "format_gate",
    "format_rate",
    "gate_decision",
    "gather_evidence",
    "keyed_verdicts",
    "print_rate_table",
    "regulatory_mapping",
    "render_report_html",
    "report_json_schema",
    "report_markdown",
    "scored_systems",
    "system_state",
    "systems_in",
    "verdict_sentence",
    "write_report",
]
