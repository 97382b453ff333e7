"""Shared fixtures. Real services are used where the brief asks for them; their absence is a
skip locally but a failure in CI (MHSAFE_REQUIRE_* set by .ci/run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The published test sets beside the checkout (../shared/data)."""
    if not SHARED_DATA.exists():
        pytest.fail(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_local_server_url() -> Iterator[str]:
    """One real llama.cpp server for every `llm` test outside tests/models (2 cores cannot
    afford one server per test module: llama.cpp threads spin and collapse under contention)."""
    from mhsafe.models import LocalServer, LocalServerSettings

    with LocalServer(LocalServerSettings(parallel=4, ctx_per_slot=2048)) as server:
        yield server.base_url


@pytest.fixture(autouse=True)
def _llm_tests_share_one_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point `mhsafe/local` at the shared server for `llm`-marked tests (tests/models tests the
    server's own life cycle and starts its own)."""
    if request.node.get_closest_marker("llm") is None:
        return
    if "tests/models/" in str(request.node.path).replace("\\", "/"):
        return
    monkeypatch.setenv("MHSAFE_LOCAL_BASE_URL", request.getfixturevalue("shared_local_server_url"))
