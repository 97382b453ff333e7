"""URL resolution and SQLite connection rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from mhsafe.store import DEFAULT_URL, ENV_VAR, Store, resolve_url


def test_resolve_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_url() == DEFAULT_URL
    monkeypatch.setenv(ENV_VAR, "sqlite:///from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"
    assert resolve_url("sqlite:///explicit.db") == "sqlite:///explicit.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_default_store_lives_in_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    with Store() as store:
        store.create_run("eval", "x")
    assert (tmp_path / "mhsafe.db").exists()


def test_sqlite_connection_rules(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'x.db'}") as store, store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_url_display_masks_password() -> None:
    store = Store("postgresql://alice:s3cret@db.example/mhsafe", migrate=False)
    assert "s3cret" not in store.url_display and "s3cret" not in repr(store)
    assert store.url_display.startswith("postgresql+psycopg://alice:")
    store.close()


def test_in_memory_sqlite_keeps_its_schema() -> None:
    with Store("sqlite://") as store:
        rid = store.create_run("eval", "x")
        assert store.get_run(rid) is not None
