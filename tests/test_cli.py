"""The command line end to end through the real local model: eval -> store -> compare ->
report -> gate, and the same task under `inspect eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.store import Store

runner = CliRunner()


def test_suites_json_lists_every_suite() -> None:
    result = runner.invoke(app, ["suites", "--json"])
    assert result.exit_code == 0, result.output
    suites = {s["name"]: s for s in json.loads(result.output)}
    assert suites["suicide_risk"]["items"] >= 40
    assert {"name", "items", "categories"} <= set(suites["harmful_content"])


@pytest.mark.llm
def test_eval_compare_report_gate_on_local_model(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    common = ["--model", "mhsafe/local", "--limit", "2", "--max-tokens", "16", "--db", db,
              "--log-dir", str(tmp_path / "logs")]
    first = runner.invoke(app, ["eval", "suicide_risk", *common])
    assert first.exit_code == 0, first.output
    assert "very_high" in first.output or "very_low" in first.output or "all" in first.output
    second = runner.invoke(app, ["eval", "suicide_risk", *common, "--epochs", "1"])
    assert second.exit_code == 0, second.output
    runs = [r.id for r in Store(db).list_runs(kind="eval")]
    assert len(runs) == 2 and all(len(Store(db).verdicts(r)) == 2 for r in runs)
    # A re-run of a finished run costs no model calls: everything is restored.
    again = runner.invoke(app, ["eval", "suicide_risk", "--resume", runs[0], "--db", db,
                                "--log-dir", str(tmp_path / "logs")])
    assert again.exit_code == 0 and "0 new, 2 resumed" in again.output
    out = tmp_path / "cmp"
    compared = runner.invoke(app, ["compare", runs[1], runs[0], "--out", str(out), "--db", db])
    assert compared.exit_code == 0, compared.output
    assert json.loads(out.with_suffix(".json").read_text())["rows"]
    report = runner.invoke(app, ["report", "--out", str(tmp_path / "rep"), "--db", db])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "rep" / "report.html").exists()
    gate = runner.invoke(app, ["gate", "--db", db])
    assert gate.exit_code == 1  # most axes have no evidence: the gate must fail, not pass


@pytest.mark.llm
def test_inspect_eval_runs_the_registered_task(tmp_path: Path) -> None:
    from inspect_ai import eval as inspect_eval

    logs = inspect_eval("mhsafe/suicide_risk", model="mhsafe/local", limit=1, max_tokens=16,
                        log_dir=str(tmp_path), display="none")
    assert logs[0].status == "success"
    assert logs[0].samples and logs[0].samples[0].scores
