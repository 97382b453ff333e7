"""mhsafe.audit: the ecological audit of deployment logs.

Logs (JSONL in the OpenAI ``messages`` shape, long-form CSV/Parquet) are streamed in batches;
bad records are quarantined with file, line and reason; every user turn is screened (lexicon ->
embeddings -> optional LLM panel); every disclosure is checked for crisis support within K
assistant turns; flagged conversations and a sized random sample of the rest are queued for
clinician review with redacted text; and the estimates carry n and an interval. A SIGKILL
mid-audit loses nothing: rerun with ``resume=True``. See docs/audit.md.
"""

from mhsafe.audit._boundary import AuditCountError, AuditStoreError
from mhsafe.audit._checkpoint import Checkpoint, ResumeError, WorkDir
from mhsafe.audit._clinician import apply_clinician_labels, labels_from_decided
from mhsafe.audit._estimates import ReviewLabel, Tally, audit_estimates, label_estimates
from mhsafe.audit._ingest import (
    Batch,
    Cursor,
    FieldMap,
    IngestLimits,
    InputError,
    check_inputs,
    iter_batches,
    iter_items,
    needs_sort,
    parse_record,
    sort_long_form,
)
from mhsafe.audit._intervention import InterventionChecker, InterventionResult
from mhsafe.audit._judge import (
    ConversationJudge,
    JudgeDecision,
    PanelJudge,
    audit_rubric,
    build_panel_judge,
)
from mhsafe.audit._lock import OutputLockedError
from mhsafe.audit._pipeline import (
    AUDIT_SCREEN_DEFAULTS,
    AuditOptions,
    AuditResult,
    Executor,
    LocalExecutor,
    ReviewStore,
    run_audit,
)
from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.audit._ray import RayExecutor
from mhsafe.audit._sampling import (
    BottomK,
    allocate,
    length_bucket,
    review_sample_size,
    sample_key,
    stratum_of,
)
from mhsafe.audit._screen_config import ScreenConfigError, screen_settings
from mhsafe.audit._stages import Assessed, Screened, assess_batch, judge_batch, screen_batch
from mhsafe.audit._turn_sample import sample_user_turns
from mhsafe.judges import InterventionPolicy, PolicyError, load_policy
from mhsafe.redact import protected_numbers, redact

__all__ = [
    "AUDIT_SCREEN_DEFAULTS",
    "Assessed",
    "AuditCountError",
    "AuditOptions",
    "AuditResult",
    "AuditStoreError",
    "Batch",
    "BottomK",
    "Checkpoint",
    "ConversationJudge",
    "Cursor",
    "Executor",
    "FieldMap",
    "IngestLimits",
    "InputError",
    "InterventionChecker",
    "InterventionPolicy",
    "InterventionResult",
    "JudgeDecision",
    "LocalExecutor",
    "OutputLockedError",
    "PanelJudge",
    "PolicyError",
    "QuarantineReason",
    "Quarantined",
    "RayExecutor",
    "ResumeError",
    "ReviewLabel",
    "ReviewStore",
    "ScreenConfigError",
    "Screened",
    "Tally",
    "WorkDir",
    "allocate",
    "apply_clinician_labels",
    "assess_batch",
    "audit_estimates",
    "audit_rubric",
    "build_panel_judge",
    "check_inputs",
    "iter_batches",
    "iter_items",
    "judge_batch",
    "label_estimates",
    "labels_from_decided",
    "length_bucket",
    "load_policy",
    "needs_sort",
    "parse_record",
    "protected_numbers",
    "redact",
    "review_sample_size",
    "run_audit",
    "sample_key",
    "sample_user_turns",
    "screen_batch",
    "screen_settings",
    "sort_long_form",
    "stratum_of",
]
