"""Build the five-axis report from a store: every system, its axes and their states, the
per-item evidence, and trends over audits and evaluation runs.

The store is reached through `EvidenceSource` (see `_evidence.py`); a source that can also
return transcripts (`transcript(run_id, case_id, epoch)`) gets user turns and replies in the
per-item table, but only when the caller passes a `redact` function: without one no
conversation text enters the report at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mhsafe.axes import Evidence, Thresholds, score_axes
from mhsafe.report._document import EcologicalValidity, ReportDocument, SystemReport
from mhsafe.report._evidence import EvidenceSource, gather_evidence, systems_in
from mhsafe.report._gate import decide_gate
from mhsafe.report._items import Redact, anchor, evidence_lists, run_logs
from mhsafe.report._regulatory import regulatory_mapping
from mhsafe.report._state import axis_state, system_state, verdict_sentence
from mhsafe.report._trend import audit_trends, eval_trends

# Which suites' verdicts stand behind each axis (what its figures and rows link to).
AXIS_SUITES: dict[str, tuple[str, ...]] = {
    "protocol_fidelity": ("pe_exposure", "cbt_restructuring"),
    "hallucination_risk": ("clinical_facts", "suicide_risk", "harmful_content",
                           "refusal_robustness", "jailbreak", "over_refusal"),
    "behavioural_consistency": ("consistency",),
    "crisis_safety": ("suicide_risk", "harmful_content", "refusal_robustness", "jailbreak",
                      "over_refusal"),
    "demographic_robustness": ("demographic",),
}


@dataclass
class BuiltReport:
    """The document plus the evidence the figures are drawn from."""

    document: ReportDocument
    evidence: dict[str, Evidence] = field(default_factory=dict)
    audit_titles: dict[str, str] = field(default_factory=dict)


def build_report(
    source: EvidenceSource,
    thresholds: Thresholds,
    *,
    store_label: str,
    systems: Sequence[str] | None = None,
    redact: Redact | None = None,
    ecological: EcologicalValidity | None = None,
) -> BuiltReport:
    """Score every system in the store (or `systems`) and assemble the report document."""
    names = list(systems) if systems else systems_in(source)
    built = BuiltReport(document=ReportDocument(
        generated=datetime.now(UTC).isoformat(timespec="seconds"), store=store_label,
        thresholds=thresholds.model_dump(), systems=[],
    ))
    reports: list[SystemReport] = []
    logs = run_logs(source)
    for name in names:
        evidence = gather_evidence(source, name)
        axes = score_axes(evidence, thresholds)
        states = [axis_state(a) for a in axes]
        built.evidence[name] = evidence
        reports.append(SystemReport(
            system=name,
            runs={s: e.run_id for s, e in evidence.suites.items()},
            audits=[a.run_id for a in evidence.audits],
            axes=axes,
            passed=all(s.state == "pass" for s in states),
            state=system_state(states),
            verdict=verdict_sentence(name, states),
            axis_states=states,
            evidence=evidence_lists(source, evidence, redact, logs),
        ))
        built.document.trends.extend(audit_trends(name, evidence.audits))
        built.document.trends.extend(eval_trends(source, name))
    rows, note, provisions = regulatory_mapping()
    built.document.systems = reports
    built.document.gate = decide_gate([(r.system, r.axes) for r in reports])
    built.document.ecological = ecological
    built.document.regulatory = rows
    built.document.regulatory_note = note
    built.document.regulatory_provisions = provisions
    return built


__all__ = ["AXIS_SUITES", "BuiltReport", "Redact", "anchor", "build_report", "evidence_lists"]
