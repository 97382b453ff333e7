"""Store fixtures: every store test runs against SQLite (a temp file) and the real
PostgreSQL. Each PostgreSQL test gets its own schema (search_path), dropped afterwards, so
tests never see each other's rows or other helpers' tables in the shared database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mhsafe.store import Store
from tests.postgres import temporary_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each dialect."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mhsafe.db'}"
        return
    with temporary_schema("mhsafe_test") as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on each dialect."""
    s = Store(db_url)
    try:
        yield s
    finally:
        s.close()
