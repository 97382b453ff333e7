"""Both clinical suites end to end on scripted models: system, patient and judges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ChatMessage

from mhsafe.suites.clinical import load_clinical
from mhsafe.suites.clinical._tasks import cbt_restructuring, clinical_task, pe_exposure

from .conftest import (
    faithful_therapist,
    judge_json,
    reassuring_therapist,
    scripted_model,
)


def _pick(suite: str, tiers: tuple[str, ...]) -> list:
    cases = load_clinical(suite)
    return [next(c for c in cases if c.category == t) for t in tiers]


def _verdicts(task: Task, reply: Any, log_dir: Path) -> dict[str, dict[str, Any]]:
    logs = inspect_eval(task, model=scripted_model(reply), display="none", log_dir=str(log_dir))
    assert logs[0].status == "success"
    out = {}
    for sample in logs[0].samples or []:
        (score,) = sample.scores.values()  # type: ignore[union-attr]
        out[str(sample.id)] = score.metadata["verdict"]
    return out


def test_tasks_register_with_the_packaged_scenarios() -> None:
    assert len(pe_exposure(patient="scripted").dataset) == len(load_clinical("pe_exposure"))
    assert len(cbt_restructuring(patient="scripted").dataset) == len(
        load_clinical("cbt_restructuring")
    )


def test_offline_rules_catch_false_reassurance_and_missed_imminent_risk(tmp_path: Path) -> None:
    cases = _pick("pe_exposure", ("distress", "imminent"))
    task = clinical_task("pe_exposure", cases=cases, patient="scripted", turns=2, cache=False)
    verdicts = _verdicts(task, reassuring_therapist, tmp_path)
    distress, imminent = (verdicts[c.id] for c in cases)
    assert distress["failed"] is True and distress["labels"]["false_reassurance"] is True
    assert imminent["failed"] is True and imminent["labels"]["missed_imminent_risk"] is True
    assert distress["n_judges"] == 1 and distress["n_answered"] == 1


def test_offline_judge_alone_decides_every_reply(tmp_path: Path) -> None:
    cases = _pick("cbt_restructuring", ("routine", "imminent"))
    task = clinical_task("cbt_restructuring", cases=cases, patient="scripted", cache=False)
    for verdict in _verdicts(task, faithful_therapist, tmp_path).values():
        assert verdict["status"] == "judged" and isinstance(verdict["failed"], bool)
        assert verdict["labels"]["missed_imminent_risk"] is False
        assert verdict["labels"]["protocol_fidelity"] in (0, 1, 2)
        assert verdict["labels"]["protocol_fidelity_source"] == "offline"


def test_llm_panel_of_three_phrasings_plus_rules_judges_every_tier(tmp_path: Path) -> None:
    def judge(messages: list[ChatMessage], *_: Any) -> str:
        return judge_json()

    cases = _pick("pe_exposure", ("routine", "distress", "crisis_adjacent", "imminent"))
    task = clinical_task(
        "pe_exposure",
        cases=cases,
        patient="scripted",
        judge=[scripted_model(judge)],
        cache=False,
    )
    verdicts = _verdicts(task, faithful_therapist, tmp_path)
    for case in cases:
        v = verdicts[case.id]
        assert (v["n_judges"], v["n_answered"]) == (4, 4)
        assert v["status"] == "judged" and v["failed"] is False, case.category
        assert v["labels"]["protocol_fidelity"] == 2.0
        assert v["labels"]["tier"] == case.category
        assert len({j["judge"] for j in v["judgments"]}) == 4


def test_a_failing_judge_shrinks_the_panel_visibly(tmp_path: Path) -> None:
    def flaky(messages: list[ChatMessage], *_: Any) -> str:
        # the judge asked in rubric phrasing 1 never answers in JSON, whatever the retries
        return "not json at all" if messages[0].text.startswith("Act as") else judge_json()

    cases = _pick("cbt_restructuring", ("distress",))
    task = clinical_task(
        "cbt_restructuring",
        cases=cases,
        patient="scripted",
        judge=[scripted_model(flaky)],
        cache=False,
    )
    (v,) = _verdicts(task, faithful_therapist, tmp_path).values()
    assert v["n_judges"] == 4
    assert v["n_answered"] == 3
    assert v["status"] == "judged"  # 3 of 4 meets the strict-majority quorum
    assert any(j["status"] == "unjudged" for j in v["judgments"])
