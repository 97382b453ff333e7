"""Alembic environment for mhsafe's packaged migrations.

There is no alembic.ini: ``mhsafe.store`` builds the Config in code and hands over an open
connection (``config.attributes["connection"]``) already inside a transaction, so the
version check and the DDL happen under one lock (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL
advisory lock). Two processes opening a fresh database at once therefore cannot both create
the tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from mhsafe.store._tables import Base

MIGRATION_LOCK_ID = 0x6D6873_6166  # "mhsafe": an arbitrary, fixed advisory-lock key


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("mhsafe migrations run through mhsafe.store, which passes a connection")
_run(connection)
