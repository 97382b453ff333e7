"""One temporary PostgreSQL schema per test, for every test that needs the real server
(127.0.0.1:5432 unless MHSAFE_TEST_POSTGRES says otherwise). Unreachable: skip locally,
fail in CI (MHSAFE_REQUIRE_POSTGRES is set by .ci/run)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "MHSAFE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_or_skip() -> None:
    """Skip (locally) or fail (in CI) when the server does not answer."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # unreachable server
        if os.environ.get("MHSAFE_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        engine.dispose()


@contextmanager
def temporary_schema(prefix: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped on exit, so tests never see each
    other's rows or other sessions' tables in the shared database."""
    postgres_or_skip()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
