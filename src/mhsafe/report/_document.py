"""The machine-readable report: one JSON document whose schema is published.

`ReportDocument.model_json_schema()` is written to `docs/report.schema.json`; a test validates
every generated report against it (and checks the file is current), so tools that read the JSON
can rely on its shape. Figures are not in the JSON (they are pictures of these numbers); each
figure's entry names the evidence anchors it links to, so the HTML and the JSON trace alike:
report → axis → verdict (case id, epoch, run) → transcript in the store.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mhsafe.axes import AxisResult
from mhsafe.report._gate import GateDecision
from mhsafe.report._state import AxisState, LineState
from mhsafe.schema import Metric


class JudgeDecision(BaseModel):
    """What one judge decided about one item: the offline rules or one LLM panel member."""

    judge: str
    status: str
    decision: str = Field(description="the judge's answer in words (values, or why unjudged)")
    rule_ids: list[str] = Field(default_factory=list, description="rules that fired")


class EvidenceItem(BaseModel):
    """One verdict behind a number: enough to read it here and find it in the store and in
    Inspect's log."""

    case_id: str | None
    epoch: int
    transcript_id: str
    category: str | None = None
    status: str
    failed: bool | None
    reason: str | None = None
    expected: str | None = Field(default=None, description="the behaviour a clinician expects")
    user_turns: list[str] = Field(
        default_factory=list, description="redacted user turns; empty without a redactor")
    reply: str | None = Field(
        default=None, description="redacted final reply; absent without a redactor")
    judges: list[JudgeDecision] = Field(default_factory=list)
    inspect_log: str | None = Field(
        default=None, description="the Inspect log file of the run, with the sample named")


class EvidenceList(BaseModel):
    """The verdicts of one run of one suite for one system, failing first."""

    anchor: str = Field(description="HTML anchor figures and tables link to")
    system: str
    suite: str
    run_id: str
    inspect_log: str | None = Field(default=None, description="the run's Inspect log file")
    total: int
    failing: int
    unjudged: int
    items: list[EvidenceItem]


class SystemReport(BaseModel):
    """One system's five axes and where their evidence came from."""

    system: str
    runs: dict[str, str] = Field(default_factory=dict, description="suite -> run id")
    audits: list[str] = Field(default_factory=list, description="audit run ids")
    axes: list[AxisResult]
    passed: bool
    state: LineState = Field(
        default="not_measured", description="fail, inconclusive, not_measured or pass")
    verdict: str = Field(default="", description="the verdict in one sentence")
    axis_states: list[AxisState] = Field(
        default_factory=list, description="per axis (same order as axes): state and lines")
    evidence: list[EvidenceList] = Field(default_factory=list)


class TrendPoint(BaseModel):
    """One run's value of one metric (an audit's or an evaluation's), and its change from the
    run before."""

    run_id: str
    created_at: str
    metric: Metric
    change: float | None = None
    change_low: float | None = None
    change_high: float | None = None
    pvalue: float | None = None
    pvalue_holm: float | None = None
    significant: bool = False


class TrendSeries(BaseModel):
    """A metric over successive runs of one system (continuous assurance): audit rates, and
    each suite's failure rate across evaluation runs."""

    system: str
    metric: str
    source: str = Field(default="audit", description="audit, or the suite of the eval runs")
    test: str = "Fisher exact between consecutive runs; Holm across the series"
    points: list[TrendPoint]


class ClusterSummary(BaseModel):
    """One cluster of deployment-log user turns and whether the test set covers it."""

    cluster: int
    size: int
    covered: bool
    nearest_test_distance: float = Field(description="cosine distance centroid -> test item")
    examples: list[str] = Field(default_factory=list, description="redacted example turns")


class EcologicalValidity(BaseModel):
    """How much of a deployment log's distribution a test set covers."""

    test_items: int
    log_turns: int
    clusters: int
    radius: float = Field(description="cosine distance within which a cluster is covered")
    coverage: Metric = Field(description="share of log clusters with a test item nearby")
    weighted_coverage: float = Field(description="share of log turns in covered clusters")
    mean_nearest_distance: float = Field(description="mean cosine distance log turn -> test")
    energy_distance: float = Field(description="energy distance, log vs test embeddings")
    uncovered: list[ClusterSummary]
    covered: list[ClusterSummary]


class RegulatoryRow(BaseModel):
    """One metric mapped to the provisions it informs. A mapping, not a compliance claim."""

    metric: str
    axis: str
    eu_ai_act: list[str]
    fda_gmlp: list[str]
    rationale: str


class FigureRef(BaseModel):
    """A figure of the HTML report and the evidence anchors behind it."""

    id: str
    title: str
    links: list[str] = Field(default_factory=list)


class ReportDocument(BaseModel):
    """The whole report: every system, its axes, and the gate's decision."""

    schema_version: str = "3"
    generated: str
    store: str
    thresholds: dict[str, Any]
    systems: list[SystemReport]
    gate: GateDecision | None = None
    trends: list[TrendSeries] = Field(default_factory=list)
    ecological: EcologicalValidity | None = None
    regulatory: list[RegulatoryRow] = Field(default_factory=list)
    regulatory_note: str = ""
    regulatory_provisions: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="framework -> provision -> title"
    )
    figures: list[FigureRef] = Field(default_factory=list)
    extras: dict[str, Any] = Field(default_factory=dict)


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of `ReportDocument` (draft 2020-12, as pydantic emits it)."""
    return ReportDocument.model_json_schema()
