"""Fixtures for the models room: the asyncio backend for anyio tests, and one real llama.cpp
server per session for the `llm` tests (started on first use, about two seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mhsafe.models import LocalServer, LocalServerSettings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Inspect runs on asyncio


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """The real embedded server: 4 slots, 1024 tokens each (enough for short test prompts)."""
    with LocalServer(LocalServerSettings(parallel=4, ctx_per_slot=1024)) as server:
        yield server
