"""mhsafe.store: runs, transcripts, judgments, verdicts, the review queue and the audit trail.

SQLite by default (``$MHSAFE_DB`` or ``sqlite:///mhsafe.db``), any SQLAlchemy URL otherwise;
opening a :class:`Store` applies the packaged Alembic migrations. ``adjudications`` and
``audit_events`` are append-only, enforced by database triggers. Callers get pydantic types
(``RunInfo``, ``StoredVerdict``, ``ReviewItemOut``); the ``*Row`` classes are for rooms that
need their own queries inside ``Store.session()``.
"""

from mhsafe.store._engine import DEFAULT_URL, ENV_VAR, resolve_url
from mhsafe.store._review import ReviewDesk
from mhsafe.store._review_adjudication import EXPORT_COLUMNS
from mhsafe.store._review_common import ANSWERED_STATUSES, ITEM_STATUSES, needs_double_review
from mhsafe.store._review_views import (
    AdjudicationView,
    Assignee,
    AssignmentReport,
    DecidedItem,
    EventView,
    ItemSummary,
    ItemView,
    LoginUser,
    QueueProgress,
    ReviewerProgress,
    UserView,
)
from mhsafe.store._store import Store, new_run_id
from mhsafe.store._tables import (
    APPEND_ONLY_TABLES,
    AdjudicationRow,
    AuditEventRow,
    Base,
    CaseRow,
    JudgmentRow,
    ReviewAssignmentRow,
    ReviewItemRow,
    ReviewQueueRow,
    RunRow,
    TranscriptRow,
    UserRow,
    VerdictRow,
)
from mhsafe.store._types import (
    ReviewEvidence,
    ReviewItemIn,
    ReviewItemOut,
    ReviewReason,
    ReviewStatus,
    RunInfo,
    RunKind,
    RunStatus,
    StoredVerdict,
)

__all__ = [
    "ANSWERED_STATUSES",
    "APPEND_ONLY_TABLES",
    "DEFAULT_URL",
    "ENV_VAR",
    "EXPORT_COLUMNS",
    "ITEM_STATUSES",
    "AdjudicationRow",
    "AdjudicationView",
    "Assignee",
    "AssignmentReport",
    "AuditEventRow",
    "Base",
    "CaseRow",
    "DecidedItem",
    "EventView",
    "ItemSummary",
    "ItemView",
    "JudgmentRow",
    "LoginUser",
    "QueueProgress",
    "ReviewAssignmentRow",
    "ReviewDesk",
    "ReviewEvidence",
    "ReviewItemIn",
    "ReviewItemOut",
    "ReviewItemRow",
    "ReviewQueueRow",
    "ReviewReason",
    "ReviewStatus",
    "ReviewerProgress",
    "RunInfo",
    "RunKind",
    "RunRow",
    "RunStatus",
    "Store",
    "StoredVerdict",
    "TranscriptRow",
    "UserRow",
    "UserView",
    "VerdictRow",
    "needs_double_review",
    "new_run_id",
    "resolve_url",
]
