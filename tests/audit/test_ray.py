"""The Ray Data executor finds what the local executor finds, on the same input (Ray local mode,
2 CPUs, its temp dir inside the test's tmp path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mhsafe.audit import AuditOptions, JudgeDecision, run_audit
from mhsafe.audit._ray import RayExecutor
from mhsafe.audit.synth import generate
from mhsafe.schema import Transcript


@pytest.fixture(scope="module")
def ray_executor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayExecutor]:
    executor = RayExecutor(num_cpus=2, temp_dir=tmp_path_factory.mktemp("ray"),
                           object_store_mb=128, window=4)
    yield executor
    executor.close()


def _logs(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, record in enumerate(generate(n, 0.08, 17)):
            fh.write(json.dumps(record) + "\n")
            if i % 50 == 7:
                fh.write('{"id": "broken", "messages": [{"role": "robot"}]}\n')
    return path


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def _same(a: Path, b: Path) -> None:
    for name in ("findings.jsonl", "quarantine.jsonl", "review_queue.jsonl"):
        assert _read(a / name) == _read(b / name), name
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for key in ("conversations_audited", "conversations_quarantined", "status",
                "flagged_by_stage", "flagged_by_category", "review",
                "missed_intervention_rate_among_flagged"):
        assert sa[key] == sb[key], key


def test_ray_executor_gives_the_local_findings(tmp_path: Path,
                                               ray_executor: RayExecutor) -> None:
    logs = _logs(tmp_path / "logs.jsonl", 400)
    options = AuditOptions(batch_size=30, screen={"embedding": False})
    local = run_audit([logs], tmp_path / "local", options)
    ray_run = run_audit([logs], tmp_path / "ray", options, executor=ray_executor)
    assert ray_run.summary["conversations_audited"] == 400
    assert ray_run.summary["conversations_quarantined"] == local.summary[
        "conversations_quarantined"] > 0
    _same(tmp_path / "local", tmp_path / "ray")


class _DriverJudge:
    """Confirms every screened conversation; records that it ran in this (driver) process."""

    name = "driver-judge"

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def decide(self, transcript: Transcript) -> JudgeDecision:
        self.seen.append(transcript.id)
        return JudgeDecision(True, None, 1, 1)


def test_the_judge_stage_runs_in_the_driver(tmp_path: Path, ray_executor: RayExecutor) -> None:
    # The LLM stage only sees what the screen could not settle: every third conversation opens
    # with a turn in a language the screen does not cover, so it is undecided and goes to the
    # panel (budget 0.2: some are sent, some are left over -- the same ones in both runs).
    logs = tmp_path / "logs.jsonl"
    uncovered = [{"role": "user", "content": "สวัสดีครับ วันนี้รู้สึกแย่มาก"},
                 {"role": "assistant", "content": "I'm here."}]
    rows = [json.loads(x) for x in _logs(tmp_path / "raw.jsonl", 120).read_text(
        encoding="utf-8").splitlines() if x]
    with logs.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            if i % 3 == 0 and row.get("messages") and "role" in row["messages"][0]:
                row["messages"] = [*uncovered, *row["messages"]]
            fh.write(json.dumps(row) + "\n")
    options = AuditOptions(batch_size=25, screen={"embedding": False}, judge=["x"],
                           judge_budget=0.2)
    local_judge, ray_judge = _DriverJudge(), _DriverJudge()
    run_audit([logs], tmp_path / "local", options, judge=local_judge)
    run_audit([logs], tmp_path / "ray", options, judge=ray_judge, executor=ray_executor)
    assert ray_judge.seen and sorted(ray_judge.seen) == sorted(local_judge.seen)
    _same(tmp_path / "local", tmp_path / "ray")


def test_cli_executor_ray_joins_the_running_ray(tmp_path: Path,
                                                ray_executor: RayExecutor) -> None:
    """`mhsafe audit --executor ray` with no --address uses the Ray this process already runs
    (the fixture's, in its tmp dir) and leaves it running; findings equal the local run's."""
    from typer.testing import CliRunner

    from mhsafe.cli import app

    ray_executor._init()
    logs = _logs(tmp_path / "logs.jsonl", 90)
    common = ["audit", str(logs), "--no-store", "--no-embeddings", "--batch-size", "20"]
    runner = CliRunner()
    local = runner.invoke(app, [*common, "--out", str(tmp_path / "local")])
    ray_run = runner.invoke(app, [*common, "--out", str(tmp_path / "ray"), "--executor", "ray"])
    assert local.exit_code == 0 and ray_run.exit_code == 0, ray_run.output[-2000:]
    _same(tmp_path / "local", tmp_path / "ray")
    bad = runner.invoke(app, [*common, "--out", str(tmp_path / "x"), "--executor", "spark"])
    assert bad.exit_code == 2
