"""Shared fixtures. Real services are used where the brief asks for them; their absence is a
skip locally but a failure in CI (MHSAFE_REQUIRE_* set by .ci/run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT.parent / "shared" / "data").resolve()
POSTGRES_URL = os.environ.get(
    "MHSAFE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The published test sets beside the checkout (../shared/data)."""
    if not SHARED_DATA.exists():
        pytest.fail(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
