"""SIGKILL at random points of an eval and of an audit, each followed by `--resume`: the final
results equal an uninterrupted run's.

The kills form a chain: the first child is killed at the first point, a `--resume` child is
killed at the next, and so on; a last `--resume` finishes. Every point is a progress count
(verdicts stored / audit batches committed) drawn at random, plus sometimes a few milliseconds,
so kills land right after a commit and in the middle of the next one. 3 points by default,
20 with MHSAFE_FAULTS_FULL=1 (see docs/faults.md for the recorded 20-point runs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mhsafe.audit import AuditOptions, run_audit
from mhsafe.audit.synth import generate
from mhsafe.cli import app
from mhsafe.store import Store
from tests.faults.fault_server import FaultConfig, FaultServer
from tests.faults.harness import (
    FULL,
    KILL_POINTS,
    checkpoint_progress,
    child_env,
    kill_chain,
    mhsafe_cmd,
    read_jsonl,
    sqlite_count,
    verdict_projection,
)

pytestmark = pytest.mark.slow


def test_eval_killed_at_random_points_resumes_to_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit, epochs = (20, 2) if FULL else (8, 2)
    total = limit * epochs
    db = tmp_path / "killed.db"
    common = ["over_refusal", "--model", "openai-api/faultsk/model", "--limit", str(limit),
              "--epochs", str(epochs), "--max-tokens", "32", "--max-connections", "2",
              "--no-cache"]
    # Slow, healthy replies: progress is spread over seconds so the kill points fall mid-run.
    with FaultServer(FaultConfig(fault_rate=0.0, latency_s=0.15)) as server:
        env = child_env(server.env("faultsk"))

        def resume() -> list[str]:
            run_id = _only_run(db)
            return mhsafe_cmd("eval", "over_refusal", "--resume", run_id, "--db",
                              f"sqlite:///{db}", "--log-dir", str(tmp_path / "logs"),
                              "--max-connections", "2", "--no-cache")

        chain = kill_chain(
            mhsafe_cmd("eval", *common, "--db", f"sqlite:///{db}", "--log-dir",
                       str(tmp_path / "logs")),
            resume,
            lambda: sqlite_count(db, "SELECT COUNT(*) FROM verdicts"),
            total,
            min(KILL_POINTS, total - 1),
            cwd=tmp_path,
            env=env,
            seed=20261,
        )
        for key, value in server.env("faultsk").items():
            monkeypatch.setenv(key, value)
        clean_db = f"sqlite:///{tmp_path / 'clean.db'}"
        clean = CliRunner().invoke(app, ["eval", *common, "--db", clean_db, "--log-dir",
                                         str(tmp_path / "clean-logs")])
    assert clean.exit_code == 0, clean.output[-2000:]
    assert chain.final_returncode == 0, chain.final_stderr
    assert len(chain.kills) >= 1
    assert all(k.exit_code == -9 for k in chain.kills)
    killed_store, clean_store = Store(f"sqlite:///{db}"), Store(clean_db)
    got = verdict_projection(killed_store.verdicts(_only_run(db)))
    (clean_run,) = clean_store.list_runs()
    want = verdict_projection(clean_store.verdicts(clean_run.id))
    assert len(got) == total == len({(g[0], g[1]) for g in got})  # none lost, none doubled
    assert got == want
    print(f"eval kills: {[(k.target, k.progress_at_kill) for k in chain.kills]}, "
          f"finished early: {chain.finished_early}")


def _only_run(db: Path) -> str:
    store = Store(f"sqlite:///{db}")
    (run,) = store.list_runs()
    return run.id


def _synth(path: Path, n: int, seed: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, record in enumerate(generate(n, 0.05, seed)):
            fh.write(json.dumps(record) + "\n")
            if i % 97 == 13:
                fh.write("{not json\n")  # quarantined records must survive kills too
    return path


def test_audit_killed_at_random_points_resumes_to_the_same_findings(tmp_path: Path) -> None:
    n, batch = (2000, 20) if FULL else (600, 20)
    logs = _synth(tmp_path / "logs.jsonl", n, 31)
    out, db = tmp_path / "killed", tmp_path / "audit.db"
    cmd = mhsafe_cmd("audit", str(logs), "--out", str(out), "--db", f"sqlite:///{db}",
                     "--batch-size", str(batch), "--no-embeddings")
    chain = kill_chain(cmd, lambda: [*cmd, "--resume"], lambda: checkpoint_progress(out),
                       n // batch, KILL_POINTS, cwd=tmp_path, env=child_env(), seed=20262)
    assert chain.final_returncode == 0, chain.final_stderr
    assert len(chain.kills) >= 1
    clean = tmp_path / "clean"
    run_audit([logs], clean, AuditOptions(batch_size=batch, screen={"embedding": False},
                                          name=logs.name))
    for name in ("findings.jsonl", "quarantine.jsonl", "review_queue.jsonl"):
        assert read_jsonl(out / name) == read_jsonl(clean / name), name
    assert len(read_jsonl(out / "findings.jsonl")) == n
    assert pq.read_table(out / "findings.parquet").equals(pq.read_table(clean / "findings.parquet"))
    got, want = (json.loads((d / "summary.json").read_text()) for d in (out, clean))
    for key in ("conversations_audited", "conversations_quarantined", "status",
                "flagged_by_stage", "flagged_by_category",
                "missed_intervention_rate_among_flagged"):
        assert got[key] == want[key], key
    store = Store(f"sqlite:///{db}")
    (run,) = store.list_runs(kind="audit")
    assert len(store.review_items(run_id=run.id)) == sum(want["review"]["queued"].values())
    print(f"audit kills: {[(k.target, k.progress_at_kill) for k in chain.kills]}, "
          f"finished early: {chain.finished_early}")
