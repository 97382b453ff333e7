"""Both clinical suites end to end on the embedded local model as system, patient and judge.

Gemma 3 270M is a base model: this asserts plumbing (a verdict per sample, an honest panel
count, a well-formed multi-turn transcript), never clinical wisdom.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

from mhsafe.suites.clinical import load_clinical
from mhsafe.suites.clinical._tasks import clinical_task

LOCAL = "mhsafe/local"


@pytest.mark.llm
@pytest.mark.timeout(300)
@pytest.mark.parametrize("suite", ["pe_exposure", "cbt_restructuring"])
def test_suite_runs_on_the_local_model(suite: str, tmp_path: Path) -> None:
    case = next(c for c in load_clinical(suite) if c.category == "distress")
    task = clinical_task(
        suite,
        cases=[case],
        patient=LOCAL,
        judge=LOCAL,
        turns=2,
        max_tokens=48,
        patient_max_tokens=24,
        judge_max_tokens=48,
        judge_timeout_s=45,
        cache=False,
    )
    logs = inspect_eval(task, model=LOCAL, display="none", log_dir=str(tmp_path), limit=1)
    assert logs[0].status == "success", logs[0].error
    (sample,) = logs[0].samples or []
    roles = [m.role for m in sample.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert sample.metadata["patient_turns"][0] == "scripted"
    assert sample.metadata["patient_turns"][1] in ("model", "fallback")
    (score,) = (sample.scores or {}).values()
    verdict = score.metadata["verdict"]  # type: ignore[index]
    assert verdict["n_judges"] == 4  # rules + the local model in three rubric phrasings
    assert 1 <= verdict["n_answered"] <= 4
    assert verdict["status"] in ("judged", "unjudged")
    for judgment in verdict["judgments"]:
        assert judgment["status"] == "judged" or judgment["error"]
