"""Clinician review, second step: blind labels, queue order by acuity, durable session ends.

* ``adjudications.blind`` -- whether a label was given before its reviewer saw the automated
  finding (NULL for rows written before this step: their mode is unknown, and stays so).
  Adding a column does not touch existing rows, so the append-only triggers are not involved.
* ``review_items.acuity`` (backfilled from ``finding``) and ``review_items.evidence`` -- the
  queue is sorted and filtered by acuity in SQL; evidence is why the audit queued it.
* ``users.session_version`` -- bumped by logout, password reset and deactivation; a cookie from
  an older version is refused, even after a restart (an in-memory revocation list is not).
* ``review_queues`` -- per-run settings (blind by default; an admin may turn it off).
* an index on ``audit_events.entity_id``: every conversation view is now an audit event, and
  whether a label is blind is read from that item's views.

Revision ID: 0002_review_blind_sessions
Revises: 0001_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_review_blind_sessions"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

JSON_T = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def _acuity(finding: Any) -> str:
    """Frozen copy of the rule in ``store._convert.finding_acuity`` as of this step."""
    if not isinstance(finding, dict) or finding.get("status") == "unjudged":
        return "unjudged"
    if not finding.get("risk_detected"):
        return "none"
    return "acute" if finding.get("acute") else "risk"


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False,
                                     server_default=sa.text("0")))
    if "blind" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("adjudications")}:
        op.add_column("adjudications", sa.Column("blind", sa.Boolean()))  # kept by downgrade
    op.add_column("review_items", sa.Column("acuity", sa.String(16)))
    op.add_column("review_items", sa.Column("evidence", JSON_T))
    op.create_index("ix_review_items_acuity", "review_items", ["acuity"])
    # every item view is an audit event; the blind check reads one item's views
    op.create_index("ix_audit_events_entity_id", "audit_events", ["entity_id"])
    op.create_table(
        "review_queues",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    items = sa.table("review_items", sa.column("id", sa.Integer()),
                     sa.column("finding", JSON_T), sa.column("acuity", sa.String(16)))
    bind = op.get_bind()
    rows = list(bind.execute(sa.select(items.c.id, items.c.finding)))
    for item_id, finding in rows:
        bind.execute(
            items.update().where(items.c.id == item_id).values(acuity=_acuity(finding))
        )


def downgrade() -> None:
    op.drop_table("review_queues")
    op.drop_index("ix_audit_events_entity_id", table_name="audit_events")
    op.drop_index("ix_review_items_acuity", table_name="review_items")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("evidence")
        batch.drop_column("acuity")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
    # adjudications.blind stays on downgrade: dropping a column of an append-only table would
    # rebuild it on SQLite (copy + drop), which its triggers rightly refuse.
