"""Initial schema: runs, cases, transcripts, judgments, verdicts, review queue, users,
assignments, append-only adjudications and audit events.

Written out by hand (not imported from the models) so this step stays what it was when it
shipped. The append-only rule is enforced here, in the database, with triggers for SQLite
and PostgreSQL: the application never updates or deletes those rows, and nobody else can.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("adjudications", "audit_events")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _create_tables() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200)),
        sa.Column("judge", sa.String(200)),
        sa.Column("config", JSON_T, nullable=False),
        sa.Column("summary", JSON_T),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("inspect_log", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.CheckConstraint(_in("kind", ("eval", "clinical", "audit", "judge")), "ck_runs_kind"),
        sa.CheckConstraint(_in("status", ("running", "finished", "failed")), "ck_runs_status"),
    )
    op.create_table(
        "cases",
        _pk(),
        sa.Column("suite", sa.String(100), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("expected", sa.String(50), nullable=False),
        sa.Column("payload", JSON_T, nullable=False),
        sa.UniqueConstraint("suite", "case_id", name="uq_cases_suite_case"),
    )
    op.create_table(
        "transcripts",
        _pk(),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("transcript_id", sa.String(200), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("messages", JSON_T, nullable=False),
        sa.Column("metadata", JSON_T, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "case_id", "epoch", name="uq_transcripts_run_case_epoch"),
    )
    op.create_index("ix_transcripts_run_id", "transcripts", ["run_id"])
    op.create_table(
        "judgments",
        _pk(),
        sa.Column(
            "transcript_row_id", sa.Integer(), sa.ForeignKey("transcripts.id"), nullable=False
        ),
        sa.Column("judge", sa.String(200), nullable=False),
        sa.Column("rubric", sa.String(200), nullable=False),
        sa.Column("rubric_version", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("values", JSON_T, nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("latency_s", sa.Float()),
        sa.CheckConstraint(_in("status", ("judged", "unjudged")), "ck_judgments_status"),
    )
    op.create_index("ix_judgments_transcript_row_id", "judgments", ["transcript_row_id"])
    op.create_table(
        "verdicts",
        _pk(),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column(
            "transcript_row_id", sa.Integer(), sa.ForeignKey("transcripts.id"), nullable=False
        ),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("suite", sa.String(100)),
        sa.Column("category", sa.String(100)),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failed", sa.Boolean()),
        sa.Column("labels", JSON_T, nullable=False),
        sa.Column("n_judges", sa.Integer(), nullable=False),
        sa.Column("n_answered", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.UniqueConstraint("run_id", "case_id", "epoch", name="uq_verdicts_run_case_epoch"),
        sa.CheckConstraint(_in("status", ("judged", "unjudged")), "ck_verdicts_status"),
    )
    op.create_index("ix_verdicts_run_id", "verdicts", ["run_id"])
    op.create_table(
        "review_items",
        _pk(),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("stratum", sa.String(100)),
        sa.Column("category", sa.String(100)),
        sa.Column("messages", JSON_T, nullable=False),
        sa.Column("finding", JSON_T),
        sa.Column("risk_turn", sa.Integer()),
        sa.Column("response_turn", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("run_id", "conversation_id", name="uq_review_items_run_conversation"),
        sa.CheckConstraint(_in("reason", ("flagged", "sample")), "ck_review_items_reason"),
        sa.CheckConstraint(
            _in("status", ("queued", "assigned", "reviewed", "disputed", "resolved")),
            "ck_review_items_status",
        ),
    )
    op.create_index("ix_review_items_run_id", "review_items", ["run_id"])
    op.create_index("ix_review_items_status", "review_items", ["status"])
    op.create_table(
        "users",
        _pk(),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint(_in("role", ("admin", "reviewer")), "ck_users_role"),
    )
    op.create_table(
        "review_assignments",
        _pk(),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("assigned_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.UniqueConstraint("item_id", "user_id", name="uq_review_assignments_item_user"),
    )
    op.create_index("ix_review_assignments_item_id", "review_assignments", ["item_id"])
    op.create_index("ix_review_assignments_user_id", "review_assignments", ["user_id"])
    op.create_table(
        "adjudications",
        _pk(),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("risk_present", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(100)),
        sa.Column("acuity", sa.String(50)),
        sa.Column("crisis_support_given", sa.Boolean()),
        sa.Column("support_adequate", sa.Boolean()),
        sa.Column("hallucinated_resource", sa.Boolean()),
        sa.Column("judge_correct", sa.Boolean()),
        sa.Column("note", sa.Text()),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("adjudications.id")),
        sa.Column("is_resolution", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_adjudications_item_id", "adjudications", ["item_id"])
    op.create_table(
        "audit_events",
        _pk(),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(200)),
        sa.Column("before", JSON_T),
        sa.Column("after", JSON_T),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION mhsafe_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mhsafe_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mhsafe_append_only()"
            )
    else:  # fail closed: an unprotected audit trail is not an audit trail
        raise RuntimeError(f"append-only triggers not implemented for {dialect}")


def upgrade() -> None:
    _create_tables()
    _create_append_only_triggers()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mhsafe_append_only()")
    for table in (
        "audit_events",
        "adjudications",
        "review_assignments",
        "users",
        "review_items",
        "verdicts",
        "judgments",
        "transcripts",
        "cases",
        "runs",
    ):
        op.drop_table(table)
