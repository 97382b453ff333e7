"""Writing synthetic logs: JSONL, long-form Parquet with a labels sidecar, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from mhsafe.audit.synth import generate, labels_path, write_logs
from mhsafe.cli import app


def test_jsonl_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "logs.jsonl"
    assert write_logs(generate(25, 0.2, seed=1), out) == 25
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines == list(generate(25, 0.2, seed=1))


def test_parquet_long_form_with_labels_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "logs.parquet"
    records = list(generate(30, 0.2, seed=2))
    assert write_logs(iter(records), out) == 30
    table = pq.read_table(out)
    assert table.column_names == ["conversation_id", "turn", "role", "content"]
    assert table.num_rows == sum(len(r["messages"]) for r in records)
    side = [json.loads(x) for x in labels_path(out).read_text("utf-8").splitlines()]
    assert [s["id"] for s in side] == [r["id"] for r in records]
    assert side[0]["labels"] == records[0]["labels"]


def test_cli_synth_logs(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(
        app, ["synth-logs", "--n", "20", "--prevalence", "0.5", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text("utf-8").splitlines()) == 20
    assert "wrote 20" in result.output
