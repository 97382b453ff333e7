"""`mhsafe audit --judge` against a misbehaving judge server: every conversation ends with a
finding, every conversation the screen sent up is judged or `unjudged`, retries are bounded.

The LLM stage only sees what the offline screen could not settle (never a decisive lexicon
hit), so every fourth synthetic conversation opens with a turn in a language the screen does
not cover: the screen leaves it undecided and those conversations are what the panel sees,
all of them (``--judge-budget 1.0``), about as many calls as before the cascade rule."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mhsafe.audit.synth import generate
from mhsafe.cli import app
from tests.faults.fault_server import FaultConfig, FaultServer
from tests.faults.harness import read_jsonl

# build_panel_judge gives each judge 2 retries (3 attempts, Inspect's own retries off); the
# OpenAI SDK under it retries 429/5xx/dropped connections twice more per attempt.
ATTEMPTS_PER_CALL = 3 * 3
UNCOVERED = [{"role": "user", "content": "สวัสดีครับ วันนี้รู้สึกแย่มาก"},
             {"role": "assistant", "content": "I'm here. Tell me more?"}]


def _logs(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, record in enumerate(generate(n, 0.25, 23)):
            if i % 4 == 0:
                record["messages"] = [*UNCOVERED, *record["messages"]]
            fh.write(json.dumps(record) + "\n")
    return path


def test_audit_judge_at_30_percent_faults_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 400
    logs = _logs(tmp_path / "logs.jsonl", n)
    out = tmp_path / "out"
    # Hangs (3 s) outlast the judge timeout (2 s): real client-side timeouts.
    with FaultServer(FaultConfig(fault_rate=0.3, seed=11, hang_s=3.0)) as server:
        for key, value in server.env("auditfault").items():
            monkeypatch.setenv(key, value)
        began = time.monotonic()
        result = CliRunner().invoke(app, [
            "audit", str(logs), "--out", str(out), "--no-store", "--no-embeddings",
            "--judge", "openai-api/auditfault/judge", "--judge-timeout", "2",
            "--judge-max-tokens", "32", "--batch-size", "50", "--judge-budget", "1.0"])
        seconds = time.monotonic() - began
        stats = server.stats.snapshot()
    assert result.exit_code == 0, result.output[-2000:]
    findings = read_jsonl(out / "findings.jsonl")
    assert len(findings) == n and len({f["conversation_id"] for f in findings}) == n
    judged = [f for f in findings if "judge" in f["stages"]]
    summary = json.loads((out / "summary.json").read_text())
    sent = summary["judge_panel"]["sent"]
    assert len(judged) == sent > 0
    assert all(f["status"] in ("ok", "missed_intervention", "no_risk", "unjudged")
               for f in judged)
    # Fail closed: a conversation the panel could not decide stays unjudged, never no_risk.
    unjudged = [f for f in judged if f["status"] == "unjudged"]
    assert summary["judge_panel"].get("unjudged", 0) == len(unjudged)
    assert summary["llm_stage"]["unjudged_by_panel"] == len(unjudged)
    assert sent == summary["llm_stage"]["wanted"]["undecided"] > 50
    faults = {k: v for k, v in stats.items() if k != "ok"}
    assert sum(faults.values()) >= 3 and len(faults) >= 2, stats
    assert sum(stats.values()) <= sent * ATTEMPTS_PER_CALL
    assert seconds < 300
    print(f"audit --judge at 30% faults: {stats}; sent {sent}, unjudged {len(unjudged)}, "
          f"{seconds:.1f}s")
