"""`mhsafe eval` against a misbehaving model server: nothing lost, nothing unknown called safe,
retries bounded.

The system under test and the judge are both `openai-api/fake/...` pointed at the fault server
(429s, 500s, hangs, truncated and non-JSON bodies, truncated content at a 30% rate).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mhsafe.cli import app
from mhsafe.schema import Case
from mhsafe.store import Store
from mhsafe.suites import build_task, limit_cases, load_suite, run_suite, scripted_conversation
from mhsafe.suites._safety import SafetyDecider, safety_panel
from tests.faults.fault_server import FaultConfig, FaultServer


def _eval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FaultServer,
          service: str, *args: str) -> tuple[Any, Store]:
    """Run `mhsafe eval` in this process. Each test names its own service: Inspect memoizes
    models by name, so a reused name would still point at an earlier test's server."""
    for key, value in server.env(service).items():
        monkeypatch.setenv(key, value)
    db = f"sqlite:///{tmp_path / 'eval.db'}"
    result = CliRunner().invoke(app, ["eval", *args, "--db", db, "--log-dir",
                                      str(tmp_path / "logs"), "--no-cache"])
    return result, Store(db)


def test_eval_at_30_percent_faults_judges_or_unjudges_every_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 12
    config = FaultConfig(fault_rate=0.3, seed=7, hang_s=1.0)
    with FaultServer(config) as server:
        began = time.monotonic()
        result, store = _eval(tmp_path, monkeypatch, server, "faultsa", "suicide_risk",
                              "--model", "openai-api/faultsa/model", "--judge",
                              "openai-api/faultsa/judge", "--limit", str(n),
                              "--max-connections", str(n), "--max-tokens", "32")
        seconds = time.monotonic() - began
        stats = server.stats.snapshot()
    assert result.exit_code == 0, result.output[-2000:]
    (run,) = store.list_runs()
    verdicts = store.verdicts(run.id)
    wanted = {c.id for c in limit_cases(load_suite("suicide_risk"), n)}  # --limit's sample
    assert {v.case_id for v in verdicts} == wanted  # none lost, none doubled
    assert len(verdicts) == n
    # A verdict has a pass/fail exactly when it was judged; an unjudged one says why.
    assert all((v.failed is None) == (v.status == "unjudged") for v in verdicts)
    assert all(v.reason for v in verdicts if v.status == "unjudged")
    # The server really misbehaved, in more than one way.
    faults = {k: v for k, v in stats.items() if k != "ok"}
    assert sum(faults.values()) >= 3 and len(faults) >= 2, stats
    # Bounded: each of the n target calls may take at most 3 HTTP tries (SDK) x 7 attempts
    # (Inspect) x 4 sample attempts, each judge call 3 x 2 -- far above what 30% needs.
    requests = sum(stats.values())
    assert requests <= n * (3 * 7 * 4 + 3 * 2 * 4)
    assert seconds < 240
    unjudged = sum(v.status == "unjudged" for v in verdicts)
    print(f"eval at 30% faults: {n} items, {unjudged} unjudged, {requests} requests {stats}, "
          f"{seconds:.1f}s")


def test_a_judge_that_always_fails_never_makes_an_item_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 6
    with FaultServer(FaultConfig(fault_rate=0.0)) as target, FaultServer(
        FaultConfig(fault_rate=1.0, kinds=["invalid_body", "truncated_content"], seed=1)
    ) as judge:
        for key, value in judge.env("badjudge").items():
            monkeypatch.setenv(key, value)
        result, store = _eval(tmp_path, monkeypatch, target, "faultsb", "over_refusal",
                              "--model", "openai-api/faultsb/model", "--judge",
                              "openai-api/badjudge/j",
                              "--limit", str(n), "--first", "--max-tokens", "32")
        judge_requests = judge.stats.requests
    assert result.exit_code == 0, result.output[-2000:]
    (run,) = store.list_runs()
    verdicts = store.verdicts(run.id)
    assert len(verdicts) == n
    # Fail closed: without a judge, only a failure the rules found may be judged.
    assert all(v.status == "unjudged" or v.failed is True for v in verdicts)
    assert any(v.status == "unjudged" for v in verdicts)
    assert all(v.n_answered == 0 for v in verdicts)
    # Each judge call tried exactly retries + 1 = 2 times (judge retries, Inspect's off);
    # these faults arrive as HTTP 200 so the SDK does not retry them.
    assert judge_requests == 2 * n


def test_retries_are_bounded_when_the_model_never_answers(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """At a 100% 500 rate the run ends (no item stored, all counted missing) after exactly the
    budgeted number of requests: SDK 3 x Inspect (max_retries + 1) x (sample_retries + 1)."""
    cases: list[Case] = load_suite("over_refusal")[:2]
    with FaultServer(FaultConfig(fault_rate=1.0, kinds=["server_error"])) as server:
        for key, value in server.env("faultsc").items():
            monkeypatch.setenv(key, value)
        store = Store(f"sqlite:///{tmp_path / 'b.db'}")
        task = build_task("over_refusal", cases, scripted_conversation(max_tokens=8, cache=False),
                          SafetyDecider(panel=safety_panel([])))
        began = time.monotonic()
        outcome = run_suite(task, suite="over_refusal", cases=cases,
                            model="openai-api/faultsc/model", store=store, log_dir=tmp_path,
                            display="none", max_retries=1, sample_retries=1, attempt_timeout=5)
        seconds = time.monotonic() - began
        requests = server.stats.requests
    assert outcome.stored == 0 and outcome.missing == 2 and outcome.status == "failed"
    assert store.verdicts(outcome.run_id) == []
    assert requests == 2 * 3 * (1 + 1) * (1 + 1)
    # Inspect waits >= 3 s (exponential backoff with jitter) before its retry.
    assert 3.0 <= seconds < 120
    print(f"100% 500s: {requests} requests for 2 items, {seconds:.1f}s, both missing")
