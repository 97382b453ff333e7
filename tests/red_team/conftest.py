"""A real PostgreSQL for the red-team store tests (as tests/store uses): each test gets its
own schema, dropped afterwards. Unreachable: skip locally, fail in CI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import temporary_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_schema("mhsafe_rt") as url:
        yield url
