"""The relational shape of mhsafe's state: runs, what was said, what was judged, what the
clinicians decided, and who did what.

These typed declarative classes are what queries use; the *schema history* lives in
``migrations/versions`` (written out by hand so an old database can always be brought to
head). A test compares the two, so they cannot drift apart silently.

``adjudications`` and ``audit_events`` are append-only: a correction is a new row that
``supersedes`` the old one, never an edit. The migration installs database triggers that
refuse UPDATE and DELETE, so the rule holds even for a stray SQL console.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: JSON everywhere, JSONB on PostgreSQL (indexable, comparable).
JSONType = JSON().with_variant(JSONB(), "postgresql")

RUN_KINDS = ("eval", "clinical", "audit", "judge")
RUN_STATUSES = ("running", "finished", "failed")
REVIEW_REASONS = ("flagged", "sample")
REVIEW_STATUSES = ("queued", "assigned", "reviewed", "disputed", "resolved")
#: The audit's acuity call on a queued item, in the order the queue shows them: acute risk
#: first, then conversations no judge could decide, then other risk, then no risk.
REVIEW_ACUITIES = ("acute", "unjudged", "risk", "none")
ROLES = ("admin", "reviewer")
APPEND_ONLY_TABLES = ("adjudications", "audit_events")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware.

    SQLite keeps no timezone, so without this a value written as aware comes back naive and
    comparisons across the CLI and the web app break (an audit-trail classic).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every mhsafe table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        datetime: UTCDateTime,
    }


class RunRow(Base):
    """One evaluation, clinical, audit or judging run; an audit's summary lives in ``summary``."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_in("kind", RUN_KINDS), name="ck_runs_kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="ck_runs_status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    judge: Mapped[str | None] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="running")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspect_log: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class CaseRow(Base):
    """A test case as last loaded for its suite (payload = the full ``schema.Case``)."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("suite", "case_id", name="uq_cases_suite_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suite: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    expected: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class TranscriptRow(Base):
    """A conversation produced in a run, one per (run, case, epoch)."""

    __tablename__ = "transcripts"
    __table_args__ = (
        UniqueConstraint("run_id", "case_id", "epoch", name="uq_transcripts_run_case_epoch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    transcript_id: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(Integer)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    source: Mapped[str] = mapped_column(Text, default="")


class JudgmentRow(Base):
    """One judge's structured answer about one stored transcript."""

    __tablename__ = "judgments"
    __table_args__ = (
        CheckConstraint(_in("status", ("judged", "unjudged")), name="ck_judgments_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_row_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), index=True)
    judge: Mapped[str] = mapped_column(String(200))
    rubric: Mapped[str] = mapped_column(String(200))
    rubric_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16))
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    latency_s: Mapped[float | None] = mapped_column(Float)


class VerdictRow(Base):
    """The decision about one transcript; the unique key is what makes resuming safe."""

    __tablename__ = "verdicts"
    __table_args__ = (
        UniqueConstraint("run_id", "case_id", "epoch", name="uq_verdicts_run_case_epoch"),
        CheckConstraint(_in("status", ("judged", "unjudged")), name="ck_verdicts_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    transcript_row_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"))
    case_id: Mapped[str] = mapped_column(String(200))
    suite: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    epoch: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    failed: Mapped[bool | None] = mapped_column(Boolean)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    n_judges: Mapped[int] = mapped_column(Integer, default=0)
    n_answered: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)


class ReviewItemRow(Base):
    """A conversation queued for clinician review (redacted text only)."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("run_id", "conversation_id", name="uq_review_items_run_conversation"),
        CheckConstraint(_in("reason", REVIEW_REASONS), name="ck_review_items_reason"),
        CheckConstraint(_in("status", REVIEW_STATUSES), name="ck_review_items_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(16))
    stratum: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    finding: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    risk_turn: Mapped[int | None] = mapped_column(Integer)
    response_turn: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    #: ``REVIEW_ACUITIES``, derived from ``finding`` on insert: a column so the queue can be
    #: sorted and filtered by it in SQL (JSON paths differ between dialects).
    acuity: Mapped[str | None] = mapped_column(String(16), index=True)
    #: Why the audit queued it, when the audit recorded it: ``stage``, ``rule_ids``, ``score``,
    #: ``support_kinds`` (ids and numbers only, never text).
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class UserRow(Base):
    """A reviewer or admin of the clinician web app (argon2 hash, never the password)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("username", name="uq_users_username"),
        CheckConstraint(_in("role", ROLES), name="ck_users_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="reviewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    #: Every session cookie carries the version it was issued under; bumping it (password
    #: reset, deactivation, logout) ends them all, and the bump survives a restart.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ReviewAssignmentRow(Base):
    """Who was asked to review which item, and by whom."""

    __tablename__ = "review_assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id", name="uq_review_assignments_item_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AdjudicationRow(Base):
    """A reviewer's judgment of an item. APPEND-ONLY: corrections point at what they
    supersede; a resolution of a dispute sets ``is_resolution``."""

    __tablename__ = "adjudications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    risk_present: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(100))
    acuity: Mapped[str | None] = mapped_column(String(50))
    crisis_support_given: Mapped[bool | None] = mapped_column(Boolean)
    support_adequate: Mapped[bool | None] = mapped_column(Boolean)
    hallucinated_resource: Mapped[bool | None] = mapped_column(Boolean)
    judge_correct: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("adjudications.id"))
    is_resolution: Mapped[bool] = mapped_column(Boolean, default=False)
    #: True: given before the reviewer was ever shown the automated finding; False: after (or
    #: by an admin); NULL: recorded before the mode was stored.
    blind: Mapped[bool | None] = mapped_column(Boolean)


class ReviewQueueRow(Base):
    """Per-queue (per audit run) review settings. No row: the defaults (blind)."""

    __tablename__ = "review_queues"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class AuditEventRow(Base):
    """Who did what to which record, with before/after. APPEND-ONLY."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    #: indexed: "has this reviewer been shown this item's finding?" reads the item's views
    entity_id: Mapped[str | None] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
