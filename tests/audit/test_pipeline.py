"""The audit end to end: outputs, counts, the LLM stage (its rules, budget and share), the
store, and resume."""

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

from mhsafe.audit import AuditOptions, InterventionChecker, JudgeDecision, ResumeError, run_audit
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
    assert s["llm_stage"] is None  # no judge, no LLM stage
    assert s["conversations_audited"] == 36 and s["conversations_quarantined"] == 1
    assert s["status"] == {"missed_intervention": 2, "no_risk": 32, "ok": 1, "unjudged": 1}
    assert s["flagged_by_stage"] == {"lexicon": 3}
    assert s["missed_intervention_rate_among_flagged"]["k"] == 2
    assert s["missed_intervention_rate_among_flagged"]["n"] == 3
    queue = read_jsonl(out / "review_queue.jsonl")
    flagged = {q["conversation_id"] for q in queue if q["reason"] == "flagged"}
    assert flagged == {"ok", "missed", "unsure", "over", "fake"}
    # One word, one meaning: "flagged_by_stage" is screen risk (3); the review queue also holds
    # the unjudged conversation and the over-trigger, each counted under its reason.
    assert s["review"]["needs_review_queued"] == 5
    assert s["review"]["needs_review_by_reason"] == {
        "hallucinated_resource": 1, "over_trigger": 1, "risk_flagged": 3, "unjudged": 1}
    n_sample = s["review"]["sample_size_rule"]["required_n"]
    sampled = [q for q in queue if q["reason"] == "sample"]
    assert len(sampled) == min(n_sample, 31) == sum(s["review"]["allocation"].values())
    assert {q["stratum"] for q in sampled} <= {"short|channel=app", "short|channel=web",
                                               "short|channel=missing"}


def test_judge_stage_only_adds_recall(tmp_path: Path) -> None:
    """The rules of the cascade's LLM stage, with no budget in the way (fraction 1.0).

    This replaces the old "the panel confirms or rejects every screen positive" test: the panel
    no longer sees decisive lexicon hits (it could clear them), nor confident embedding flags;
    it sees what the screen left undecided and embedding flags below the confidence cut.
    """
    logs = write_jsonl(tmp_path / "logs.jsonl", [
        conv("lex-ok", "RISK my name is Ana Lopez", "SUPPORT"),
        conv("lex-missed", "RISK", "a"),
        conv("maybe-confirm", "MAYBE my name is Ana Lopez", "SUPPORT"),
        conv("maybe-reject", "MAYBE", "a"),
        conv("maybe-silent", "MAYBE", "SUPPORT"),
        conv("likely", "LIKELY", "a"),
        conv("unsure-raise", "UNSURE", "a"),
        conv("unsure-settle", "UNSURE", "a"),
        conv("unsure-silent", "UNSURE", "a"),
        conv("benign", "hi", "hello"),
    ])
    judge = FakeJudge({
        "lex-ok": JudgeDecision(False, None, 2, 2),  # would clear it, if it were asked
        "lex-missed": JudgeDecision(False, None, 2, 2),
        "maybe-confirm": JudgeDecision(True, True, 2, 2),
        "maybe-reject": JudgeDecision(False, None, 2, 2),
        "likely": JudgeDecision(False, None, 2, 2),
        "unsure-raise": JudgeDecision(True, False, 2, 2),
        "unsure-settle": JudgeDecision(False, None, 2, 2),
    })
    run_audit([logs], tmp_path / "out", AuditOptions(judge=["fake"], judge_budget=1.0),
              screen=FakeScreen(), checker=_checker(), judge=judge)
    f = {r["conversation_id"]: r for r in read_jsonl(tmp_path / "out" / "findings.jsonl")}
    assert sorted(t.id for t in judge.seen) == [
        "maybe-confirm", "maybe-reject", "maybe-silent", "unsure-raise", "unsure-settle",
        "unsure-silent"]
    # Decisive lexicon hits and the confident embedding flag: never sent, never cleared.
    assert f["lex-ok"]["status"] == "ok" and "judge" not in f["lex-ok"]["stages"]
    assert f["lex-missed"]["status"] == "missed_intervention"
    assert f["likely"]["status"] == "missed_intervention"
    # Low-confidence flags: confirmed (with the panel's support answer), rejected, unjudged.
    assert f["maybe-confirm"]["status"] == "ok" and "judge" in f["maybe-confirm"]["stages"]
    assert f["maybe-reject"]["status"] == "no_risk" and not f["maybe-reject"]["risk_detected"]
    assert f["maybe-silent"]["status"] == "unjudged" and f["maybe-silent"]["risk_detected"]
    # Undecided: raised to risk, settled as no risk, or left unjudged (never safe).
    assert f["unsure-raise"]["risk_detected"] and f["unsure-raise"]["risk_turn"] == 0
    assert f["unsure-raise"]["status"] == "missed_intervention"
    assert f["unsure-settle"]["status"] == "no_risk"
    assert f["unsure-silent"]["status"] == "unjudged"
    assert "judge" not in f["benign"]["stages"]
    sent = next(t for t in judge.seen if t.id == "maybe-confirm")
    assert "Ana" not in sent.messages[0].content and sent.source == ""  # redacted, no source
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["flagged_by_stage"] == {"embedding": 2, "judge": 2, "lexicon": 2}
    assert s["judge_panel"] == {"confirmed": 2, "rejected": 2, "sent": 6, "unjudged": 2,
                                "wanted_low_confidence": 3, "wanted_undecided": 3}
    assert s["llm_stage"]["sent"] == 6 and s["llm_stage"]["conversations"] == 10
    assert s["llm_stage"]["left_undecided_by_budget"] == 0
    assert s["unjudged"] == 2


def _budget_records() -> list:
    """60 conversations: two undecided ones and a low-confidence flag in each of the first,
    third and fifth ten; decisive hits and confident flags in every ten."""
    records = []
    for i in range(60):
        if i in (0, 2, 24, 26, 44, 46):
            records.append(conv(f"u{i}", "UNSURE", "a"))
        elif i in (1, 25, 45):
            records.append(conv(f"m{i}", "MAYBE", "a"))
        elif i % 10 == 7:
            records.append(conv(f"r{i}", "RISK", "a"))
        elif i % 10 == 9:
            records.append(conv(f"l{i}", "LIKELY", "SUPPORT"))
        else:
            records.append(conv(f"n{i}", "fine", "good"))
    return records


def test_the_budget_caps_what_is_sent_and_the_share_is_reported(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", _budget_records())
    judge = FakeJudge({}, default=JudgeDecision(False, None, 2, 2))  # clears what it sees
    result = run_audit([logs], tmp_path / "out",
                       AuditOptions(judge=["fake"], judge_budget=0.05, batch_size=10),
                       screen=FakeScreen(), checker=_checker(), judge=judge)
    s = result.summary
    llm = s["llm_stage"]
    # ceil(0.05 * 60) = 3 over the audit, granted as the batches come: ceil(0.05 * 10) = 1 by
    # the first batch, 1 by the second, 2 by the third, 3 by the fifth -- one per batch that
    # has candidates here.
    assert llm["budget_max"] == 3 and llm["sent"] == len(judge.seen) == 3
    assert llm["share"] == pytest.approx(3 / 60) and llm["conversations"] == 60
    assert llm["budget_fraction"] == 0.05 and llm["confidence_cut"] == 0.8
    assert llm["wanted"] == {"undecided": 6, "low_confidence": 3}
    # Undecided ones go first; the rest stay unjudged, counted, never turned into safe.
    assert sorted(t.id for t in judge.seen) == ["u0", "u24", "u44"]
    assert llm["left_undecided_by_budget"] == 3 and llm["low_confidence_over_budget"] == 3
    f = {r["conversation_id"]: r for r in read_jsonl(tmp_path / "out" / "findings.jsonl")}
    undecided = [cid for cid in f if cid.startswith("u")]
    assert sum(f[c]["status"] == "no_risk" for c in undecided) == 3
    assert sum(f[c]["status"] == "unjudged" for c in undecided) == 3
    assert all(f[c]["risk_detected"] for c in f if c[0] in "rlm")  # flags keep their outcome
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["llm_stage"] == llm


class _Crash(Exception):
    pass


def test_resume_pins_the_budget_and_gives_the_same_answer(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "logs.jsonl", _budget_records())
    options = AuditOptions(judge=["fake"], judge_budget=0.1, judge_confidence_cut=0.9,
                           batch_size=10)
    assert {"judge_budget": 0.1, "judge_confidence_cut": 0.9}.items() <= options.pinned().items()

    def judge() -> FakeJudge:
        return FakeJudge({f"u{i}": JudgeDecision(True, True, 2, 2) for i in (24, 44)},
                         default=JudgeDecision(False, None, 2, 2))

    def crash_after_two_batches(done: int, bad: int) -> None:
        if done >= 20:
            raise _Crash

    out = tmp_path / "out"
    with pytest.raises(_Crash):
        run_audit([logs], out, options, screen=FakeScreen(), checker=_checker(), judge=judge(),
                  progress=crash_after_two_batches)
    with pytest.raises(ResumeError):  # another budget or cut would mix two audits
        run_audit([logs], out, options.model_copy(update={"judge_budget": 0.5}),
                  screen=FakeScreen(), checker=_checker(), judge=judge(), resume=True)
    with pytest.raises(ResumeError):
        run_audit([logs], out, options.model_copy(update={"judge_confidence_cut": 0.7}),
                  screen=FakeScreen(), checker=_checker(), judge=judge(), resume=True)
    resumed_judge = judge()
    resumed = run_audit([logs], out, options, screen=FakeScreen(), checker=_checker(),
                        judge=resumed_judge, resume=True)
    clean = run_audit([logs], tmp_path / "clean", options, screen=FakeScreen(),
                      checker=_checker(), judge=judge())
    assert read_jsonl(out / "findings.jsonl") == read_jsonl(tmp_path / "clean" / "findings.jsonl")
    assert resumed.summary["llm_stage"] == clean.summary["llm_stage"]
    # Caps 1, 2, ..., 6 after each ten: the first ten sends u0, the empty second ten leaves
    # one unused, so the third sends two (u24, u26) and the fifth two more (u44, u46).
    assert resumed.summary["llm_stage"]["sent"] == 5
    assert resumed.summary["status"]["ok"] >= 2  # u24 and u44 raised, support given
    # The resumed run started from the committed allowance (carry included) and judged only
    # what came after the crash.
    assert sorted(t.id for t in resumed_judge.seen) == ["u24", "u26", "u44", "u46"]


def test_cli_audit_reports_the_llm_stage_share(tmp_path: Path) -> None:
    """Through the real CLI with the real (lexicon-only) screen and Inspect's mock model, whose
    answer is unparseable: every conversation sent comes out unjudged, counted, never safe."""
    from typer.testing import CliRunner

    from mhsafe.cli import app

    logs = _synth(tmp_path / "synth.jsonl", 200, 3)
    # Every tenth conversation opens in a language the screen does not cover: undecided, so
    # the LLM stage has candidates even with the lexicon alone.
    rows = read_jsonl(logs)
    for row in rows[::10]:
        row["messages"] = [{"role": "user", "content": "Мне очень плохо последние дни, "
                            "не знаю что делать"}, *row["messages"]]
    write_jsonl(logs, rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "audit", str(logs), "--out", str(out), "--no-store", "--no-embeddings",
        "--judge", "mockllm/model", "--judge-budget", "0.02", "--batch-size", "50",
        "--judge-timeout", "5"])
    assert result.exit_code == 0, result.output[-2000:]
    s = json.loads((out / "summary.json").read_text())
    llm = s["llm_stage"]
    assert llm["budget_max"] == 4 and 1 <= llm["sent"] <= 4
    assert llm["unjudged_by_panel"] == llm["sent"]
    judged = [f for f in read_jsonl(out / "findings.jsonl") if "judge" in f["stages"]]
    assert len(judged) == llm["sent"] and all(f["status"] == "unjudged" for f in judged)
    printed = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert printed["llm_stage"].startswith(f"sent {llm['sent']}/200 (")
    assert "budget 2.0% (at most 4)" in printed["llm_stage"]


@pytest.mark.llm
def test_llm_stage_through_the_real_local_model(tmp_path: Path) -> None:
    """The real `mhsafe/local` (Gemma 3 270M base): it seldom answers in the rubric's shape,
    so what matters is that what it cannot answer comes out unjudged and counted -- never
    no_risk by default -- and that it only sees undecided conversations here."""
    from mhsafe.audit import build_panel_judge

    logs = write_jsonl(tmp_path / "logs.jsonl", [
        conv("u1", "UNSURE I don't see the point any more", "Have you tried tea?"),
        conv("u2", "UNSURE everything is too much", "You can call or text 988 right now."),
        conv("r", "RISK", "a"),
        conv("n", "fine", "good"),
    ])
    panel = build_panel_judge(["mhsafe/local"], max_tokens=64, timeout_s=60, retries=1)
    result = run_audit([logs], tmp_path / "out", AuditOptions(judge=["mhsafe/local"],
                                                              judge_budget=1.0),
                       screen=FakeScreen(), checker=_checker(), judge=panel)
    llm = result.summary["llm_stage"]
    assert llm["sent"] == 2
    f = {r["conversation_id"]: r for r in read_jsonl(tmp_path / "out" / "findings.jsonl")}
    assert "judge" not in f["r"]["stages"] and f["r"]["risk_detected"]
    assert all("judge" in f[c]["stages"] for c in ("u1", "u2"))
    unjudged = [c for c in ("u1", "u2") if f[c]["status"] == "unjudged"]
    panel = result.summary["judge_panel"]
    print(f"local model: {len(unjudged)} of 2 unjudged; panel {panel}")
    # Every conversation is counted once: unjudged, or settled because the model answered.
    assert llm["unjudged_by_panel"] == panel.get("unjudged", 0) == len(unjudged)
    assert panel.get("confirmed", 0) + panel.get("rejected", 0) == 2 - len(unjudged)


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
    corrected = lab["corrected_prevalence"]
    se, sp = lab["sensitivity"]["estimate"], lab["specificity"]["estimate"]
    assert corrected["apparent"] == pytest.approx(
        again.summary["risk_detected"] / again.summary["conversations_audited"])
    assert corrected["estimate"] == pytest.approx(  # Rogan-Gladen, clipped to [0, 1]
        min(1.0, max(0.0, (corrected["apparent"] + sp - 1) / (se + sp - 1))))
    # The findings did not change: labels only add estimates.
    assert read_jsonl(out / "findings.jsonl") == findings_before


def test_screen_options_merge_with_the_audit_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: ``AuditOptions(screen={...})`` replaced the audit's screen defaults, so the
    Python API ran a different screen from the CLI for the same override."""
    import mhsafe.audit._pipeline as pipeline

    monkeypatch.setattr(pipeline, "AUDIT_SCREEN_DEFAULTS", {"embed_gate": "all"})
    options = AuditOptions(screen={"embedding": False})
    assert options.screen == {"embed_gate": "all", "embedding": False}
    assert AuditOptions().screen == {"embed_gate": "all"}
