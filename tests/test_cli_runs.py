"""Runs as users refer to them: `mhsafe runs` (80 columns, ids whole), `runs show`, named runs
(`eval --name`) accepted wherever a run id is, and unknown references refused with exit 2.

The system under test is a scripted Inspect model (no network); everything else -- the CLI,
the runner, the store -- is real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from mhsafe._runs import UnknownRunError, find_run, print_runs
from mhsafe.cli import app
from mhsafe.store import Store
from tests.scripted import responsive_model

runner = CliRunner()
REPLY = "I'm really sorry you're feeling this way. You can call or text 988 any time."


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every model the runner asks for answers REPLY."""
    monkeypatch.setattr(
        "mhsafe.suites._runner.get_model", lambda *_a, **_k: responsive_model(lambda _m: REPLY)
    )


def _eval(tmp_path: Path, db: str, *extra: str) -> Any:
    return runner.invoke(app, ["eval", "suicide_risk", "--model", "mockllm/model", "--limit", "3",
                               "--max-tokens", "16", "--db", db,
                               "--log-dir", str(tmp_path / "logs"), *extra])


def test_named_runs_are_listed_shown_compared_and_resumed(tmp_path: Path, scripted: None) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    first = _eval(tmp_path, db, "--name", "baseline")
    assert first.exit_code == 0, first.output
    second = _eval(tmp_path, db, "--name", "candidate", "--seed", "7")
    assert second.exit_code == 0, second.output
    store = Store(db)
    ids = {r.config["run_name"]: r.id for r in store.list_runs()}
    assert set(ids) == {"baseline", "candidate"}
    for run_id in ids.values():  # --limit 3 of 5 risk levels: the crisis levels come first
        levels = {v.category for v in store.verdicts(run_id)}
        assert len(levels) == 3 and {"high", "very_high"} <= levels

    listed = runner.invoke(app, ["runs", "--db", db], env={"COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["id", "name", "suite", "model", "date", "n", "status"]
    assert all(len(line) <= 80 for line in lines)
    for name, run_id in ids.items():
        row = next(line for line in lines if run_id in line)  # the whole id, never cut
        assert row.split()[1] == name and row.split()[-2:] == ["3", "finished"]

    as_json = runner.invoke(app, ["runs", "--json", "--last", "1", "--db", db])
    assert as_json.exit_code == 0, as_json.output
    (newest,) = json.loads(as_json.output)
    assert (newest["id"], newest["name"], newest["n"]) == (ids["candidate"], "candidate", 3)

    shown = runner.invoke(app, ["runs", "show", "candidate", "--db", db])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.output)
    assert detail["id"] == ids["candidate"] and detail["n"] == 3
    assert detail["config"]["limit_seed"] == 7 and detail["verdicts"]["total"] == 3

    out = tmp_path / "cmp"
    compared = runner.invoke(app, ["compare", "baseline", "candidate", "--out", str(out),
                                   "--db", db], env={"COLUMNS": "80"})
    assert compared.exit_code == 0, compared.output
    assert f"A: {ids['baseline']} (baseline)" in compared.output
    assert f"B: {ids['candidate']} (candidate)" in compared.output
    table = compared.output.splitlines()[2:-1]
    assert table and all(len(line) <= 80 for line in table)
    assert next(line for line in table if line.startswith("all")).split()[1] == "3/3"
    assert ids["baseline"] in out.with_suffix(".md").read_text(encoding="utf-8")

    resumed = _eval(tmp_path, db, "--resume", "baseline")
    assert resumed.exit_code == 0, resumed.output
    assert "0 new, 3 resumed" in resumed.output  # the same seeded sample, nothing repeated

    taken = _eval(tmp_path, db, "--name", "baseline")
    assert taken.exit_code == 2
    assert "a run named 'baseline' exists" in taken.output


def test_compare_with_an_unknown_run_exits_2_and_says_so(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    run_id = Store(db).create_run("eval", "suicide_risk", model="m", config={"run_name": "ok"})
    result = runner.invoke(app, ["compare", run_id, "nosuchrun", "--db", db])
    assert result.exit_code == 2
    assert "no run 'nosuchrun'" in result.output and "mhsafe runs" in result.output
    assert "Traceback" not in result.output
    typo = runner.invoke(app, ["compare", "ok", run_id[:-1] + "x", "--db", db])
    assert typo.exit_code == 2 and f"Did you mean {run_id}" in typo.output
    missing = runner.invoke(app, ["runs", "show", "nope", "--db", db])
    assert missing.exit_code == 2 and "no run 'nope'" in missing.output


def test_find_run_by_id_name_and_prefix(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'f.db'}")
    a = store.create_run("eval", "suicide_risk", config={"run_name": "nightly"})
    b = store.create_run("audit", "logs.jsonl", config={})
    assert find_run(store, a).id == a
    assert find_run(store, "nightly").id == a
    assert find_run(store, b[:-2]).id == b  # a unique prefix of 8+ characters
    with pytest.raises(UnknownRunError, match="matches 2 runs"):
        find_run(store, a[:9])  # both ids start with the same date and hour
    with pytest.raises(UnknownRunError, match="no run"):
        find_run(store, "2026")  # too short to be a prefix


def test_runs_table_fits_80_columns_with_long_names(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    made = [
        store.create_run("eval", "demographic", model="openai-api/acme-health/companion-v2-large",
                         config={"run_name": "release-candidate-2026-12-03-nightly"}),
        store.create_run("clinical", "cbt_restructuring", model="mhsafe/local"),
        store.create_run("audit", "deployment-logs-december.parquet", model=None),
    ]
    console = Console(width=80, record=True)
    assert print_runs(store, console) == 3
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for run_id in made:
        row = next(line for line in text.splitlines() if run_id in line)
        day = store.get_run(run_id).created_at.strftime("%Y-%m-%d")  # type: ignore[union-attr]
        assert row.split()[-3:] == [day, "0" if "audit" not in row else "-", "running"]


def test_runs_rejects_an_unknown_kind(tmp_path: Path) -> None:
    result = runner.invoke(app, ["runs", "--kind", "evals", "--db",
                                 f"sqlite:///{tmp_path / 'k.db'}"])
    assert result.exit_code == 2 and "--kind must be one of eval" in result.output


def test_review_commands_take_a_run_name(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rv.db'}"
    Store(db).create_run("audit", "logs.jsonl", config={"run_name": "week-49"})
    named = runner.invoke(app, ["review", "export", str(tmp_path / "l.csv"), "--run", "week-49",
                                "--db", db])
    assert named.exit_code == 0, named.output
    assert "wrote 0 adjudications" in named.output
    unknown = runner.invoke(app, ["review", "export", str(tmp_path / "m.csv"), "--run", "week-50",
                                  "--db", db])
    assert unknown.exit_code == 2 and "no run 'week-50'" in unknown.output
    assert not (tmp_path / "m.csv").exists()
    applied = runner.invoke(app, ["review", "apply", "week-50", "--db", db])
    assert applied.exit_code == 2 and "Did you mean week-49" in applied.output
    resumed = runner.invoke(app, ["eval", "suicide_risk", "--resume", "week-50", "--db", db])
    assert resumed.exit_code == 2 and "--resume: no run 'week-50'" in resumed.output
