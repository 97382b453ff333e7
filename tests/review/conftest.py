"""Review-app fixtures: a store seeded with the demo queue, two accounts, and a logged-in
test client per account. A PostgreSQL flavour of the store gets its own schema, dropped after.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mhsafe.review import _security, create_app, hash_password, seed_demo
from mhsafe.store import ReviewDesk, Store, UserView
from tests.postgres import POSTGRES_URL, postgres_or_skip

ADMIN = ("alice_admin", "admin-password-1")
REVIEWER = ("rob_reviewer", "reviewer-password-1")
OTHER = ("olga_reviewer", "reviewer-password-2")
SECRET = "test-secret-key"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match is not None, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> str:
    """Log ``client`` in through the real form; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/queue").text)


def postgres_url_or_skip() -> str:
    """The CI PostgreSQL; skipped locally when unreachable, a failure when required."""
    postgres_or_skip()
    return POSTGRES_URL


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with the cheapest parameters: production cost (~0.3 s a hash on a busy
    2-core box) would make these tests slow without testing anything more."""
    monkeypatch.setattr(
        _security, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on SQLite and on PostgreSQL (own schema)."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'review.db'}")
        yield store
        store.close()
        return
    base = postgres_url_or_skip()
    schema = f"mhsafe_review_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    store = Store(url.render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store in a temp file."""
    s = Store(f"sqlite:///{tmp_path / 'review.db'}")
    yield s
    s.close()


def populate(store: Store) -> tuple[str, dict[str, UserView]]:
    """Seed the demo queue and create the admin and two reviewers."""
    run_id = seed_demo(store)
    desk = ReviewDesk(store)
    users = {
        name: desk.create_user(name, hash_password(pw), role, actor="test")
        for (name, pw), role in ((ADMIN, "admin"), (REVIEWER, "reviewer"), (OTHER, "reviewer"))
    }
    return run_id, users


@pytest.fixture
def seeded(store: Store) -> tuple[Store, str, dict[str, UserView]]:
    """(store, demo run id, users by name)."""
    run_id, users = populate(store)
    return store, run_id, users


@pytest.fixture
def make_app(seeded: tuple[Store, str, dict[str, UserView]]) -> Callable[..., FastAPI]:
    """Build the app on the seeded store with test settings (overridable)."""

    def build(**overrides: object) -> FastAPI:
        options: dict[str, object] = {"secret_key": SECRET, "double_review_fraction": 0.0}
        options.update(overrides)
        return create_app(store=seeded[0], **options)  # type: ignore[arg-type]

    return build


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    """The app with default test settings."""
    return make_app()
