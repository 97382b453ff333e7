"""A real PostgreSQL for the red-team store tests (127.0.0.1:5432, as tests/store uses): each
test gets its own schema, dropped afterwards. Unreachable: skip locally, fail in CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # unreachable server
        admin.dispose()
        if os.environ.get("MHSAFE_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    schema = f"mhsafe_rt_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
