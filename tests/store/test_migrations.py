"""Packaged migrations reach head on both dialects, match the models, and make the audit
tables append-only in the database itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from mhsafe.store import APPEND_ONLY_TABLES, Base, Store
from mhsafe.store._engine import MIGRATIONS

EXPECTED_TABLES = {
    "runs",
    "cases",
    "transcripts",
    "judgments",
    "verdicts",
    "review_items",
    "users",
    "review_assignments",
    "adjudications",
    "audit_events",
}


def test_upgrade_reaches_head(store: Store) -> None:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        assert set(inspect(conn).get_table_names()) >= EXPECTED_TABLES


def test_reopening_is_a_no_op(db_url: str) -> None:
    first = Store(db_url)
    rid = first.create_run("eval", "x")
    first.close()
    again = Store(db_url)
    assert again.get_run(rid) is not None
    again.close()


def test_models_match_the_migration(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def _seed_adjudication(store: Store) -> None:
    run_id = store.create_run("audit", "logs")
    now = datetime.now(UTC)
    with store.session() as s:
        s.execute(
            text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('rev', 'x', 'reviewer', true, :now)"
            ),
            {"now": now},
        )
        s.execute(
            text(
                "INSERT INTO review_items (run_id, conversation_id, reason, messages, status, "
                "created_at) VALUES (:r, 'c1', 'flagged', '[]', 'queued', :now)"
            ),
            {"r": run_id, "now": now},
        )
        s.execute(
            text(
                "INSERT INTO adjudications (item_id, reviewer_id, created_at, risk_present, "
                "is_resolution) SELECT i.id, u.id, :now, true, false "
                "FROM review_items i, users u"
            ),
            {"now": now},
        )
    store.record_event("rev", "adjudication.create", "adjudication", 1, None, {"a": 1})


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {t} SET id = id", "DELETE FROM {t}"],
    ids=["update", "delete"],
)
def test_append_only_tables_refuse_changes(store: Store, table: str, statement: str) -> None:
    _seed_adjudication(store)
    with pytest.raises(DBAPIError, match="append-only"), store.session() as s:
        s.execute(text(statement.format(t=table)))
    with store.session() as s:
        assert s.scalar(text(f"SELECT count(*) FROM {table}")) == 1
        s.execute(text(f"INSERT INTO {table} SELECT * FROM {table} WHERE false"))  # inserts ok
