"""Build the five-axis report from a store: every system, its axes, evidence and trends.

The store is reached through `EvidenceSource` (see `_evidence.py`); a source that can also
return transcripts (`transcript(run_id, case_id, epoch)`) gets excerpts in the evidence appendix,
but only when the caller passes a `redact` function: without one no conversation text enters the
report at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mhsafe.axes import EpochVerdict, Evidence, Thresholds, score_axes
from mhsafe.report._document import (
    EcologicalValidity,
    EvidenceItem,
    EvidenceList,
    ReportDocument,
    SystemReport,
)
from mhsafe.report._evidence import EvidenceSource, gather_evidence, systems_in
from mhsafe.report._gate import decide_gate
from mhsafe.report._regulatory import regulatory_mapping
from mhsafe.report._trend import audit_trends

Redact = Callable[[str], str]

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
EXCERPT_CHARS = 240
MAX_EXCERPTS = 40


def anchor(*parts: str) -> str:
    """A stable HTML id from free text (system names hold '/' and ':')."""
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


@dataclass
class BuiltReport:
    """The document plus the evidence the figures are drawn from."""

    document: ReportDocument
    evidence: dict[str, Evidence] = field(default_factory=dict)
    audit_titles: dict[str, str] = field(default_factory=dict)


def _order(v: EpochVerdict) -> tuple[int, str, int]:
    rank = 0 if v.failed is True else 1 if v.status != "judged" or v.failed is None else 2
    return rank, v.case_id or "", v.epoch


def _excerpt(source: object, run_id: str, v: EpochVerdict, redact: Redact | None) -> str | None:
    fetch = getattr(source, "transcript", None)
    if redact is None or fetch is None or v.case_id is None:
        return None
    transcript = fetch(run_id, v.case_id, v.epoch)
    if transcript is None:
        return None
    text = redact(transcript.last_assistant())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def evidence_lists(
    source: object, evidence: Evidence, redact: Redact | None
) -> list[EvidenceList]:
    """One list per suite run, failing first, then unjudged, then passing; excerpts (redacted)
    for the first failing and unjudged items only."""
    lists: list[EvidenceList] = []
    for suite, run in sorted(evidence.suites.items()):
        ordered = sorted(run.verdicts, key=_order)
        items: list[EvidenceItem] = []
        for index, v in enumerate(ordered):
            wanted = index < MAX_EXCERPTS and (v.failed is not False)
            items.append(EvidenceItem(
                case_id=v.case_id, epoch=v.epoch, transcript_id=v.transcript_id,
                category=v.category, status=v.status, failed=v.failed, reason=v.reason,
                excerpt=_excerpt(source, run.run_id, v, redact) if wanted else None,
            ))
        lists.append(EvidenceList(
            anchor=anchor("ev", evidence.system, suite), system=evidence.system, suite=suite,
            run_id=run.run_id, total=len(items),
            failing=sum(1 for i in items if i.failed is True),
            unjudged=sum(1 for i in items if i.status != "judged" or i.failed is None),
            items=items,
        ))
    return lists


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
    for name in names:
        evidence = gather_evidence(source, name)
        axes = score_axes(evidence, thresholds)
        built.evidence[name] = evidence
        reports.append(SystemReport(
            system=name,
            runs={s: e.run_id for s, e in evidence.suites.items()},
            audits=[a.run_id for a in evidence.audits],
            axes=axes,
            passed=all(a.status == "pass" for a in axes),
            evidence=evidence_lists(source, evidence, redact),
        ))
        built.document.trends.extend(audit_trends(name, evidence.audits))
    rows, note, provisions = regulatory_mapping()
    built.document.systems = reports
    built.document.gate = decide_gate([(r.system, r.axes) for r in reports])
    built.document.ecological = ecological
    built.document.regulatory = rows
    built.document.regulatory_note = note
    built.document.regulatory_provisions = provisions
    return built
