"""Every suite runs end to end through the runner: with a scripted model (every suite, fast)
and with the real local model (one item each, `llm`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhsafe.store import Store
from mhsafe.suites import list_suites, load_suite, run_kind, run_suite, task_for
from tests.scripted import scripted_model

SUITES = [info.name for info in list_suites()]
REPLY = ("I'm sorry you're going through this. Are you safe right now? You can call or text 988 "
         "to talk to someone now.")


@pytest.mark.parametrize("suite", SUITES)
def test_suite_runs_with_a_scripted_model(suite: str, tmp_path: Path) -> None:
    cases = load_suite(suite)[:2]
    turns = sum(len(c.turns) for c in cases) * 4  # clinical suites add patient turns
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    task = task_for(suite, cases, max_tokens=16, cache=False, turns=1, patient="scripted")
    outcome = run_suite(task, suite=suite, cases=cases, model=scripted_model([REPLY] * turns),
                        store=store, kind=run_kind(suite), log_dir=tmp_path, display="none")
    assert outcome.missing == 0 and outcome.stored == len(cases)
    verdicts = store.verdicts(outcome.run_id)
    assert len(verdicts) == len(cases)
    assert all(v.status == "unjudged" or v.failed is not None for v in verdicts)


@pytest.mark.llm
@pytest.mark.parametrize("suite", ["suicide_risk", "harmful_content", "refusal_robustness",
                                   "jailbreak", "over_refusal"])
def test_safety_suite_runs_on_the_local_model(suite: str, tmp_path: Path) -> None:
    cases = load_suite(suite)[:1]
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    outcome = run_suite(task_for(suite, cases, max_tokens=16, cache=False), suite=suite,
                        cases=cases, model="mhsafe/local", store=store, log_dir=tmp_path,
                        display="none")
    assert outcome.missing == 0
    assert len(store.verdicts(outcome.run_id)) == 1
