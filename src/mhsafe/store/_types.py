"""Pydantic types at the store's boundary: what goes in and what comes out.

Rows never leave the store as ORM objects (they would drag a session along); callers get
these plain models, built on ``mhsafe.schema`` so a stored verdict is still a ``Verdict``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mhsafe.schema import Finding, Message, Verdict

RunKind = Literal["eval", "clinical", "audit", "judge"]
RunStatus = Literal["running", "finished", "failed"]
ReviewReason = Literal["flagged", "sample"]
ReviewStatus = Literal["queued", "assigned", "reviewed", "disputed", "resolved"]


class RunInfo(BaseModel):
    """One run as stored. ``summary`` is what ``finish_run`` recorded (an audit's totals)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: RunKind
    name: str
    model: str | None = None
    judge: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] | None = None
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None = None
    inspect_log: str | None = None
    notes: str | None = None


class StoredVerdict(Verdict):
    """A ``Verdict`` plus where it sits: which run and which epoch of its case."""

    run_id: str
    epoch: int


class ReviewEvidence(BaseModel):
    """Why the audit queued a conversation, for the reviewer's "why was this flagged?" panel.

    Ids and numbers only (lexicon rule ids, the screen's score, the intervention check's support
    kinds), never matched text: the panel must not become a way around redaction.
    """

    model_config = ConfigDict(extra="forbid")

    stage: str | None = None
    rule_ids: list[str] = Field(default_factory=list)
    score: float | None = None
    support_kinds: list[str] = Field(default_factory=list)


class ReviewItemIn(BaseModel):
    """A conversation to put in front of clinicians. ``messages`` must already be redacted:
    the store keeps whatever it is given, and the review queue is no place for raw text."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str
    reason: ReviewReason
    stratum: str | None = None
    category: str | None = None
    messages: list[Message]
    finding: Finding | None = None
    risk_turn: int | None = None
    response_turn: int | None = None
    evidence: ReviewEvidence | None = None


class ReviewItemOut(ReviewItemIn):
    """A queued review item as stored, with its id and where it is in the review workflow."""

    id: int
    run_id: str
    status: ReviewStatus
    created_at: datetime
