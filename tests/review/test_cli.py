"""The `mhsafe review` commands (add-user, assign, export, seed-demo) on a temp store."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.review import verify_password
from mhsafe.store import ReviewDesk, Store

runner = CliRunner()


def test_review_commands_end_to_end(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["review", "seed-demo", "--db", db]).exit_code == 0
    added = runner.invoke(app, ["review", "add-user", "rev1", "--password-stdin", "--db", db],
                          input="a-long-password\n")
    assert added.exit_code == 0, added.output
    weak = runner.invoke(app, ["review", "add-user", "rev2", "--password-stdin", "--db", db],
                         input="short\n")
    assert weak.exit_code == 2
    dup = runner.invoke(app, ["review", "add-user", "rev1", "--password-stdin", "--db", db],
                        input="a-long-password\n")
    assert dup.exit_code == 2
    desk = ReviewDesk(Store(db))
    login = desk.user_for_login("rev1")
    assert login is not None and verify_password(login.password_hash, "a-long-password")

    assigned = runner.invoke(app, ["review", "assign", "--to", "rev1", "--count", "3",
                                   "--db", db])
    assert assigned.exit_code == 0 and "assigned 3 items" in assigned.output
    assert runner.invoke(app, ["review", "assign", "--to", "nobody", "--db", db]).exit_code == 2
    item = desk.list_items(assigned_to=login.id)[0]
    desk.add_adjudication(item.id, login.id, {"risk_present": False, "category": "none"},
                          is_resolution=False, actor="rev1")
    out = tmp_path / "adj.parquet"
    exported = runner.invoke(app, ["review", "export", str(out), "--db", db])
    assert exported.exit_code == 0, exported.output
    assert pq.read_table(out).num_rows == 1
