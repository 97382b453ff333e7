"""The audit end to end: outputs, counts, fail-closed judge stage, the store, and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mhsafe.audit import AuditOptions, InterventionChecker, JudgeDecision, run_audit
from mhsafe.audit.synth import generate
from mhsafe.schema import Finding
from mhsafe.store import Store
from tests.audit.fakes import (
    FakeJudge,
    FakeScreen,
    conv,
    fake_script,
    fake_support,
    read_jsonl,
    write_jsonl,
)

REPO = Path(__file__).resolve().parents[2]


def _checker() -> InterventionChecker:
    return InterventionChecker(2, detect_support=fake_support, is_crisis_script=fake_script)


def _records() -> list:
    return [
        conv("benign", "hello", "hi"),
        conv("ok", "RISK ACUTE", "SUPPORT"),
        conv("missed", "RISK", "a", "u", "a"),
        conv("unsure", "UNSURE", "a"),
        conv("over", "exam stress", "SCRIPT"),
        conv("fake", "RISK", "FAKE-LINE"),
        "{broken",
        *(conv(f"n{i}", "fine", "good", metadata={"channel": "web" if i % 2 else "app"})
          for i in range(30)),
    ]


def test_outputs_and_counts(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", _records())
    out = tmp_path / "out"
    result = run_audit([logs], out, AuditOptions(batch_size=4, max_rate=0.1,
                                                 stratify_by="channel"),
                       screen=FakeScreen(), checker=_checker())
    findings = {f["conversation_id"]: Finding.model_validate(f)
                for f in read_jsonl(out / "findings.jsonl")}
    assert findings["benign"].status == "no_risk"
    assert findings["ok"].status == "ok" and findings["ok"].acute
    assert findings["ok"].intervention_turn == 1
    assert findings["missed"].status == "missed_intervention"
    assert findings["unsure"].status == "unjudged"  # fail closed
    assert findings["over"].over_trigger and findings["over"].status == "no_risk"
    assert findings["fake"].hallucinated_resource
    assert findings["fake"].status == "missed_intervention"
    table = pq.read_table(out / "findings.parquet")
    assert table.num_rows == len(findings) == 36
    assert table.column("conversation_id").to_pylist() == list(findings)
    assert read_jsonl(out / "quarantine.jsonl") == [
        {"file": str(logs), "line": 7, "reason": "invalid_json", "detail": "col 2",
         "conversation_id": None}]
    s = json.loads((out / "summary.json").read_text())
    assert s == {**result.summary}
    assert s["conversations_audited"] == 36 and s["conversations_quarantined"] == 1
    assert s["status"] == {"missed_intervention": 2, "no_risk": 32, "ok": 1, "unjudged": 1}
    assert s["flagged_by_stage"] == {"lexicon": 3}
    assert s["missed_intervention_rate_among_flagged"]["k"] == 2
    assert s["missed_intervention_rate_among_flagged"]["n"] == 3
    queue = read_jsonl(out / "review_queue.jsonl")
    flagged = {q["conversation_id"] for q in queue if q["reason"] == "flagged"}
    assert flagged == {"ok", "missed", "unsure", "over", "fake"}
    n_sample = s["review"]["sample_size_rule"]["required_n"]
    sampled = [q for q in queue if q["reason"] == "sample"]
    assert len(sampled) == min(n_sample, 31) == sum(s["review"]["allocation"].values())
    assert {q["stratum"] for q in sampled} <= {"short|channel=app", "short|channel=web",
                                               "short|channel=missing"}


def test_judge_stage_confirms_rejects_and_fails_closed(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", [
        conv("confirm", "RISK my name is Ana Lopez", "SUPPORT"),
        conv("reject", "RISK", "a"),
        conv("silent", "RISK", "SUPPORT"),
        conv("overrule", "RISK", "SUPPORT"),
        conv("benign", "hi", "hello"),
    ])
    judge = FakeJudge({
        "confirm": JudgeDecision(True, True, 2, 2),
        "reject": JudgeDecision(False, None, 2, 2),
        "overrule": JudgeDecision(True, False, 2, 2),
    })
    run_audit([logs], tmp_path / "out", AuditOptions(judge=["fake"]), screen=FakeScreen(),
              checker=_checker(), judge=judge)
    f = {r["conversation_id"]: r for r in read_jsonl(tmp_path / "out" / "findings.jsonl")}
    assert f["confirm"]["status"] == "ok" and "judge" in f["confirm"]["stages"]
    assert f["reject"]["status"] == "no_risk" and not f["reject"]["risk_detected"]
    assert f["silent"]["status"] == "unjudged"
    assert f["overrule"]["status"] == "missed_intervention"
    assert "judge" not in f["benign"]["stages"]
    # Only screen positives reach the panel, redacted, without their source.
    assert sorted(t.id for t in judge.seen) == ["confirm", "overrule", "reject", "silent"]
    sent = next(t for t in judge.seen if t.id == "confirm")
    assert "Ana" not in sent.messages[0].content and sent.source == ""
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    # "silent" stays flagged by the lexicon, unjudged by the panel.
    assert s["flagged_by_stage"] == {"judge": 2, "lexicon": 1}
    assert s["judge_panel"] == {"confirmed": 2, "rejected": 1, "sent": 4, "unjudged": 1}
    assert s["unjudged"] == 1


def _synth(path: Path, n: int, seed: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for record in generate(n, 0.05, seed):
            fh.write(json.dumps(record) + "\n")
    return path


def test_end_to_end_on_synthetic_logs_into_sqlite_store(tmp_path: Path) -> None:
    logs = _synth(tmp_path / "synth.jsonl", 300, 11)
    store = Store(f"sqlite:///{tmp_path / 'mhsafe.db'}")
    result = run_audit([logs], tmp_path / "out",
                       AuditOptions(batch_size=64, screen={"embedding": False}), store=store)
    assert result.run_id is not None
    items = store.review_items(run_id=result.run_id)
    queue = read_jsonl(tmp_path / "out" / "review_queue.jsonl")
    assert len(items) == len(queue) == sum(result.summary["review"]["queued"].values())
    assert {i.conversation_id for i in items} == {q["conversation_id"] for q in queue}
    assert result.summary["conversations_audited"] == 300
    run = store.get_run(result.run_id)
    assert run is not None and run.status == "finished" and run.kind == "audit"
    # Rerunning the finalisation (resume of a finished audit) does not duplicate the queue.
    again = run_audit([logs], tmp_path / "out",
                      AuditOptions(batch_size=64, screen={"embedding": False}), store=store,
                      resume=True)
    assert again.run_id == result.run_id
    assert len(store.review_items(run_id=result.run_id)) == len(items)


@pytest.mark.slow
def test_sigkill_then_resume_gives_the_same_findings(tmp_path: Path) -> None:
    logs = _synth(tmp_path / "synth.jsonl", 1200, 5)
    out = tmp_path / "killed"
    db = f"sqlite:///{tmp_path / 'k.db'}"
    cmd = [sys.executable, "-m", "mhsafe.cli", "audit", str(logs), "--out", str(out),
           "--db", db, "--batch-size", "25", "--no-embeddings"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    checkpoint = out / ".work" / "checkpoint.json"
    deadline = time.monotonic() + 240
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            state = json.loads(checkpoint.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            state = {}
        if state.get("next_batch", 0) >= 5:
            proc.send_signal(signal.SIGKILL)
            killed_at = state["next_batch"]
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert killed_at is not None, "the audit finished before it could be killed"
    assert not (out / "findings.parquet").exists()
    resumed = subprocess.run([*cmd, "--resume"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    clean = tmp_path / "clean"
    run_audit([logs], clean, AuditOptions(batch_size=25, screen={"embedding": False}))
    got = read_jsonl(out / "findings.jsonl")
    want = read_jsonl(clean / "findings.jsonl")
    assert len(got) == 1200
    assert got == want
    assert pq.read_table(out / "findings.parquet").equals(
        pq.read_table(clean / "findings.parquet"))
    s_got = json.loads((out / "summary.json").read_text())
    s_want = json.loads((clean / "summary.json").read_text())
    for key in ("status", "flagged_by_stage", "flagged_by_category", "review",
                "user_turns_settled_by_stage", "missed_intervention_rate_among_flagged"):
        if key == "review":
            s_got[key].pop("stored_new"), s_want[key].pop("stored_new")
        if key == "user_turns_settled_by_stage":  # zero counters may come and go
            s_got[key] = {k: v for k, v in s_got[key].items() if v}
            s_want[key] = {k: v for k, v in s_want[key].items() if v}
        assert s_got[key] == s_want[key], key
    store = Store(db)
    (run,) = store.list_runs(kind="audit")
    assert len(store.review_items(run_id=run.id)) == sum(s_want["review"]["queued"].values())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_long_form_inputs_audit_like_jsonl(tmp_path: Path, suffix: str) -> None:
    import pyarrow as pa

    records = [r for r in _records() if isinstance(r, dict)]
    rows = [{"conversation_id": r["id"], "turn": t, "role": m["role"], "content": m["content"]}
            for r in records for t, m in enumerate(r["messages"])]
    path = tmp_path / f"long{suffix}"
    table = pa.Table.from_pylist(rows)
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    jsonl = write_jsonl(tmp_path / "same.jsonl", records)
    a = run_audit([path], tmp_path / "a", screen=FakeScreen(), checker=_checker())
    b = run_audit([jsonl], tmp_path / "b", screen=FakeScreen(), checker=_checker())
    assert a.summary["status"] == b.summary["status"]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "source"} for r in rows]  # noqa: E731
    assert strip(read_jsonl(tmp_path / "a" / "findings.jsonl")) == strip(
        read_jsonl(tmp_path / "b" / "findings.jsonl"))


def test_clinician_labels_give_bounds_and_corrected_prevalence(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", _records())
    out = tmp_path / "out"
    opts = AuditOptions(max_rate=0.1)
    first = run_audit([logs], out, opts, screen=FakeScreen(), checker=_checker())
    assert first.summary["labels"] is None
    findings_before = read_jsonl(out / "findings.jsonl")
    queue = read_jsonl(out / "review_queue.jsonl")
    labels = tmp_path / "labels.jsonl"
    # Clinicians: every screen positive is real, one sampled conversation was a miss.
    rows = []
    for i, item in enumerate(queue):
        risk = item["finding"]["risk_detected"] or (item["reason"] == "sample" and i % 10 == 0)
        rows.append({"conversation_id": item["conversation_id"], "risk_present": risk,
                     "crisis_support_given": False})
    write_jsonl(labels, rows)
    again = run_audit([logs], out, opts, screen=FakeScreen(), checker=_checker(), resume=True,
                      labels=labels)
    lab = again.summary["labels"]
    sampled = [r for r, q in zip(rows, queue, strict=True) if q["reason"] == "sample"]
    misses = sum(r["risk_present"] for r in sampled)
    assert lab["sample_reviewed"] == len(sampled) and lab["sample_screen_misses"] == misses
    from scipy.stats import beta

    assert lab["unflagged_screen_miss_upper_bound"] == pytest.approx(
        beta.ppf(0.95, misses + 1, len(sampled) - misses))
    assert lab["corrected_prevalence"] is not None
    # The findings did not change: labels only add estimates.
    assert read_jsonl(out / "findings.jsonl") == findings_before
