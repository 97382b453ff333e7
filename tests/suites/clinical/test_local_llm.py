"""Both clinical suites end to end on the embedded local model as system, patient and judge.

Gemma 3 270M is a base model: this asserts plumbing (a verdict per sample, an honest panel
count, a well-formed multi-turn transcript), never clinical wisdom. One sample per suite, both
suites in one eval so the server's slots work in parallel; judges get no retries (a 48-token
budget cannot hold the full JSON anyway: a clean ``unjudged`` is the expected plumbing).
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
def test_both_suites_run_on_the_local_model(tmp_path: Path) -> None:
    tasks = []
    for suite, turns in (("pe_exposure", 2), ("cbt_restructuring", 1)):
        case = next(c for c in load_clinical(suite) if c.category == "distress")
        tasks.append(
            clinical_task(
                suite,
                cases=[case],
                patient=LOCAL,
                judge=LOCAL,
                turns=turns,
                max_tokens=32,
                patient_max_tokens=16,
                judge_max_tokens=48,
                judge_timeout_s=40,
                judge_retries=0,
                cache=False,
            )
        )
    logs = inspect_eval(tasks, model=LOCAL, display="none", log_dir=str(tmp_path), limit=1)
    assert len(logs) == 2
    for log, turns in zip(logs, (2, 1), strict=True):
        assert log.status == "success", log.error
        (sample,) = log.samples or []
        roles = [m.role for m in sample.messages]
        assert roles == ["system", *(["user", "assistant"] * turns)]
        assert sample.metadata["patient_turns"][0] == "scripted"
        assert set(sample.metadata["patient_turns"][1:]) <= {"model", "fallback"}
        (score,) = (sample.scores or {}).values()
        verdict = score.metadata["verdict"]  # type: ignore[index]
        assert verdict["n_judges"] == 4  # rules + the local model in three rubric phrasings
        assert 1 <= verdict["n_answered"] <= 4
        # The LLM members have no passing card, so they are advisory; the offline rules always
        # answer, so the panel decides every reply.
        assert verdict["status"] == "judged"
        for judgment in verdict["judgments"]:
            assert judgment["status"] == "judged" or judgment["error"]
