"""Rows <-> boundary types: the only place that knows how a pydantic model is laid out in
columns, so the ``Store`` methods read as transactions and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mhsafe.schema import Finding, Judgment, Message, Transcript, Verdict
from mhsafe.store._tables import (
    JudgmentRow,
    ReviewItemRow,
    RunRow,
    TranscriptRow,
    VerdictRow,
)
from mhsafe.store._types import (
    ReviewEvidence,
    ReviewItemIn,
    ReviewItemOut,
    RunInfo,
    StoredVerdict,
)


def transcript_row(run_id: str, t: Transcript, *, case_id: str, epoch: int) -> TranscriptRow:
    """A transcript as stored under (run, case, epoch)."""
    return TranscriptRow(
        run_id=run_id,
        transcript_id=t.id,
        case_id=case_id,
        epoch=epoch,
        messages=[m.model_dump(mode="json") for m in t.messages],
        metadata_=t.metadata,
        source=t.source,
    )


def transcript_of(row: TranscriptRow) -> Transcript:
    """The stored transcript back as a ``schema.Transcript``."""
    return Transcript(
        id=row.transcript_id,
        messages=[Message.model_validate(m) for m in row.messages],
        metadata=row.metadata_,
        source=row.source,
    )


def judgment_rows(transcript_row_id: int, verdict: Verdict) -> list[JudgmentRow]:
    """One row per judgment behind a verdict (unjudged ones included: they are evidence)."""
    return [
        JudgmentRow(
            transcript_row_id=transcript_row_id,
            judge=j.judge,
            rubric=j.rubric,
            rubric_version=j.rubric_version,
            status=j.status,
            values=j.values,
            error=j.error,
            latency_s=j.latency_s,
        )
        for j in verdict.judgments
    ]


def verdict_row(
    run_id: str, transcript_row_id: int, v: Verdict, *, case_id: str, epoch: int
) -> VerdictRow:
    """The verdict row; ``case_id``/``epoch`` come from the caller, the run's own key."""
    return VerdictRow(
        run_id=run_id,
        transcript_row_id=transcript_row_id,
        case_id=case_id,
        suite=v.suite,
        category=v.category,
        epoch=epoch,
        status=v.status,
        failed=v.failed,
        labels=v.labels,
        n_judges=v.n_judges,
        n_answered=v.n_answered,
        reason=v.reason,
    )


def run_info(row: RunRow) -> RunInfo:
    return RunInfo.model_validate(row, from_attributes=True)


def judgment_of(row: JudgmentRow, transcript_id: str) -> Judgment:
    return Judgment(
        judge=row.judge,
        transcript_id=transcript_id,
        rubric=row.rubric,
        rubric_version=row.rubric_version,
        status=row.status,  # the CHECK constraint guarantees the literal
        values=row.values,
        error=row.error,
        latency_s=row.latency_s,
    )


def review_out(row: ReviewItemRow) -> ReviewItemOut:
    return ReviewItemOut(
        id=row.id,
        run_id=row.run_id,
        conversation_id=row.conversation_id,
        reason=row.reason,
        stratum=row.stratum,
        category=row.category,
        messages=[Message.model_validate(m) for m in row.messages],
        finding=None if row.finding is None else Finding.model_validate(row.finding),
        risk_turn=row.risk_turn,
        response_turn=row.response_turn,
        evidence=None if row.evidence is None else ReviewEvidence.model_validate(row.evidence),
        status=row.status,
        created_at=row.created_at,
    )


def stored_verdict(
    v: VerdictRow, transcript_id: str, judgments: list[JudgmentRow]
) -> StoredVerdict:
    """A verdict row with its judgments back as a ``StoredVerdict``."""
    return StoredVerdict(
        run_id=v.run_id,
        epoch=v.epoch,
        transcript_id=transcript_id,
        case_id=v.case_id,
        suite=v.suite,
        category=v.category,
        status=v.status,
        failed=v.failed,
        labels=v.labels,
        n_judges=v.n_judges,
        n_answered=v.n_answered,
        reason=v.reason,
        judgments=[judgment_of(j, transcript_id) for j in judgments],
    )


def finding_acuity(finding: Mapping[str, Any] | None) -> str:
    """The audit's acuity call (``REVIEW_ACUITIES``): no finding or ``unjudged`` status is
    "unjudged" (never "none": nobody decided it), else acute / risk / none. Migration 0002
    holds a frozen copy for its backfill."""
    if finding is None or finding.get("status") == "unjudged":
        return "unjudged"
    if not finding.get("risk_detected"):
        return "none"
    return "acute" if finding.get("acute") else "risk"


def review_item_row(run_id: str, item: ReviewItemIn, *, created_at: datetime) -> ReviewItemRow:
    """A new queued review item."""
    finding = None if item.finding is None else item.finding.model_dump(mode="json")
    return ReviewItemRow(
        run_id=run_id,
        conversation_id=item.conversation_id,
        reason=item.reason,
        stratum=item.stratum,
        category=item.category,
        messages=[m.model_dump(mode="json") for m in item.messages],
        finding=finding,
        risk_turn=item.risk_turn,
        response_turn=item.response_turn,
        status="queued",
        created_at=created_at,
        acuity=finding_acuity(finding),
        evidence=None if item.evidence is None else item.evidence.model_dump(mode="json"),
    )
