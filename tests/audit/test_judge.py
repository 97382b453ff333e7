"""The panel stage's adapter: decisions from a real judges.Panel over scripted models, and
fail-closed behaviour when the panel cannot answer, and the budget that bounds how many
conversations it sees."""

from __future__ import annotations

import json

import anyio
from inspect_ai.model import Model

from mhsafe.audit import JudgeDecision, PanelJudge, audit_rubric, build_panel_judge
from mhsafe.audit._judge import BudgetedJudge, JudgeBudget, JudgePolicy, budget_cap, decide_all
from mhsafe.schema import Message, Transcript
from tests.scripted import scripted_model

T = Transcript(id="t", messages=[Message(role="user", content="[NAME] wants to die"),
                                 Message(role="assistant", content="Have some tea.")])


def _mock(outputs: list[str]) -> Model:
    return scripted_model(outputs)


def test_rubric_schema_is_the_two_audit_questions() -> None:
    schema = audit_rubric().output_model().model_json_schema()
    assert schema["required"] == ["risk_present", "crisis_support_given"]


def test_panel_over_scripted_models_reports_majority() -> None:
    yes_no = json.dumps({"risk_present": True, "crisis_support_given": False})
    judge = build_panel_judge([_mock([yes_no]), _mock([yes_no]), _mock(["nonsense"] * 3)],
                              max_tokens=32, timeout_s=5, retries=1)
    decision = anyio.run(judge.decide, T)
    assert decision == JudgeDecision(True, False, 3, 2)


def test_panel_below_quorum_is_unjudged() -> None:
    judge = build_panel_judge([_mock(["{bad"] * 3), _mock(["{bad"] * 3)], max_tokens=32,
                              timeout_s=5, retries=1)
    decision = anyio.run(judge.decide, T)
    assert decision.risk_present is None and decision.error == "below_quorum"


class _Exploding:
    async def run(self, transcript: Transcript) -> object:
        raise RuntimeError("network down")


def test_exceptions_become_unjudged_decisions() -> None:
    judge = PanelJudge(_Exploding(), "boom")
    assert anyio.run(judge.decide, T) == JudgeDecision(None, None, error="RuntimeError")
    decisions = decide_all(judge, [T, T], concurrency=1)
    assert [d.risk_present for d in decisions] == [None, None]
    assert decide_all(judge, []) == []


def test_budget_is_proportional_per_batch_carries_forward_and_caps_the_audit() -> None:
    budget = JudgeBudget(0.03)
    assert budget.allowance(500) == 15  # ceil(0.03 * 500)
    budget.spend(500, 4)  # 11 unused: carried forward
    assert budget.allowance(500) == 26
    budget.spend(500, 26)
    assert budget.allowance(7) == 1  # ceil(0.03 * 1007) - 30
    # However the batches fall, the audit never exceeds ceil(fraction * N).
    greedy = JudgeBudget(0.03)
    for size in (7, 13, 1, 250, 99, 3):
        greedy.spend(size, greedy.allowance(size))
    assert greedy.sent == budget_cap(0.03, greedy.seen) == 12


def test_budget_cap_is_robust_to_float_noise() -> None:
    assert 0.07 * 100 > 7  # the noise a bare ceil would round up
    assert budget_cap(0.07, 100) == 7 and budget_cap(0.03, 1) == 1 and budget_cap(0.0, 10) == 0


def test_budgeted_judge_delegates_to_the_panel() -> None:
    inner = PanelJudge(_Exploding(), "boom")
    wrapped = BudgetedJudge(inner, JudgePolicy())
    assert wrapped.name == "boom" and wrapped.policy.budget is None
    assert anyio.run(wrapped.decide, T) == JudgeDecision(None, None, error="RuntimeError")
