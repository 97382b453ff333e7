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
    "review_queues",
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


def test_upgrade_from_0001_keeps_rows_and_backfills(db_url: str) -> None:
    """A database created by the first release, with review data in it, reaches head: users
    get session version 0, old labels have an unknown mode, items get their acuity."""
    from alembic import command
    from alembic.config import Config

    from mhsafe.store._engine import make_engine

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
    now = datetime.now(UTC)
    finding = '{"status": "missed_intervention", "risk_detected": true, "acute": true}'
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO runs (id, kind, name, config, status, created_at) "
            "VALUES ('r1', 'audit', 'old', '{}', 'finished', :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO users (username, password_hash, role, active, created_at) "
            "VALUES ('rev', 'x', 'reviewer', true, :now)"), {"now": now})
        for cid, f in (("c1", finding), ("c2", None)):
            conn.execute(text(
                "INSERT INTO review_items (run_id, conversation_id, reason, messages, finding, "
                "status, created_at) VALUES ('r1', :c, 'flagged', '[]', :f, 'reviewed', :now)"),
                {"c": cid, "f": f, "now": now})
        conn.execute(text(
            "INSERT INTO adjudications (item_id, reviewer_id, created_at, risk_present, "
            "is_resolution) SELECT i.id, u.id, :now, true, false FROM review_items i, users u "
            "WHERE i.conversation_id = 'c1'"), {"now": now})
    engine.dispose()
    store = Store(db_url)  # opening migrates to head
    try:
        with store.engine.connect() as conn:
            head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
            assert conn.execute(text("SELECT session_version FROM users")).scalar() == 0
            assert conn.execute(text("SELECT blind FROM adjudications")).scalar() is None
            acuity: dict[str, str] = dict(conn.execute(text(
                "SELECT conversation_id, acuity FROM review_items")).all())
            assert acuity == {"c1": "acute", "c2": "unjudged"}
        from mhsafe.store import ReviewDesk

        desk = ReviewDesk(store)
        assert desk.is_blind("r1")
        [decided] = desk.decided()
        assert decided.blind is None
    finally:
        store.close()


def test_downgrade_to_0001_and_back(db_url: str) -> None:
    """0002 can be undone and redone (``adjudications.blind`` is kept by the downgrade: the
    append-only table is not rebuilt)."""
    from alembic import command
    from alembic.config import Config

    from mhsafe.store._engine import make_engine

    store = Store(db_url)
    run_id = store.create_run("audit", "x")
    store.close()
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    for target in ("0001_initial", "head"):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            if target == "head":
                command.upgrade(cfg, target)
            else:
                command.downgrade(cfg, target)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert ("review_queues" in tables) is (target == "head")
    engine.dispose()
    again = Store(db_url)
    assert again.get_run(run_id) is not None
    again.close()
