"""Where the database is, how to connect to it, and bringing it to the current schema.

SQLite is the default and is shared by several processes at once (the CLI writing a run,
the review web app reading it), so every SQLite connection gets WAL (readers never block
the writer), foreign keys ON (SQLite's default is off!) and a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two
writers queue instead of one failing half-way with "database is locked".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///mhsafe.db"
ENV_VAR = "MHSAFE_DB"
BUSY_TIMEOUT_S = 30.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$MHSAFE_DB``, else ``sqlite:///mhsafe.db`` in the
    working directory. Plain ``postgresql://``/``postgres://`` URLs are pointed at psycopg 3
    (the driver we ship) instead of SQLAlchemy's psycopg2 default."""
    chosen = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    for prefix in ("postgres://", "postgresql://"):
        if chosen.startswith(prefix):
            return "postgresql+psycopg://" + chosen[len(prefix) :]
    return chosen


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        "hide_parameters": True,
    }
    if in_memory:  # one shared connection, or every checkout would see an empty database
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the connection rules above (SQLite) or pre-ping (others).

    ``hide_parameters``: an error never prints statement parameters, which are conversation ids
    and message text (health data), in a traceback or a log."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def upgrade_to_head(engine: Engine) -> None:
    """Apply the packaged Alembic migrations up to head inside one transaction.

    No alembic.ini: the Config is built here and given the open connection (see
    ``migrations/env.py``), so the same code path serves the CLI, the web app and tests.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
