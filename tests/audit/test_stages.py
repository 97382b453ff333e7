"""Batch stages: screen results land on the right message, findings follow from them, and the
LLM stage sees only what the offline stages could not settle, within its budget."""

from __future__ import annotations

from dataclasses import replace

from mhsafe.audit import InterventionChecker, JudgeDecision, assess_batch, screen_batch
from mhsafe.audit._judge import BudgetedJudge, JudgeBudget, JudgePolicy
from mhsafe.audit._stages import Assessed, judge_batch, with_screen_basis
from mhsafe.schema import Message, Transcript
from tests.audit.fakes import FakeJudge, FakeScreen, fake_script, fake_support


def _t(cid: str, *turns: str, system: bool = False) -> Transcript:
    msgs = [Message(role="system", content="be kind")] if system else []
    msgs += [Message(role="user" if i % 2 == 0 else "assistant", content=c)
             for i, c in enumerate(turns)]
    return Transcript(id=cid, messages=msgs)


def test_screen_batch_is_one_call_and_maps_message_indices() -> None:
    screen = FakeScreen()
    screened, counts = screen_batch(screen, [_t("a", "hi", "yo", "RISK", "hm", system=True),
                                             _t("b", "fine", "ok")])
    assert screen.calls == 1 and counts["turns"] == 3
    assert sorted(screened[0].turns) == [1, 3]  # message indices of user turns
    assert screened[0].turns[3].risk is True and screened[1].turns[0].risk is False


def test_assess_batch_builds_findings_and_review_flags() -> None:
    checker = InterventionChecker(2, detect_support=fake_support, is_crisis_script=fake_script)
    screened, _ = screen_batch(FakeScreen(), [
        _t("risk", "hello my name is Ana Silva", "hi", "RISK ACUTE", "SUPPORT"),
        _t("clear", "fine", "good"),
        _t("no-user"),
    ])
    risk, clear, empty = assess_batch(checker, screened)
    assert risk.finding.risk_turn == 2 and risk.finding.status == "ok"
    assert risk.finding.acute and risk.flagged_stage == "lexicon"
    assert risk.finding.stages == ["lexicon", "intervention"]
    assert risk.review and risk.review_messages is not None
    assert "Ana" not in risk.review_messages[0].content  # review text is redacted
    assert not clear.review and clear.review_messages is None
    assert clear.finding.status == "no_risk" and clear.finding.stages == ["lexicon"]
    assert empty.finding.status == "no_risk" and empty.finding.stages == []


# --- the LLM stage: a cascade that only adds recall ------------------------------------------

def _assessed(*conversations: Transcript) -> list[Assessed]:
    checker = InterventionChecker(2, detect_support=fake_support, is_crisis_script=fake_script)
    screened, _ = screen_batch(FakeScreen(), list(conversations))
    return with_screen_basis(screened, assess_batch(checker, screened))


CLEAR_ALL = JudgeDecision(False, None, 2, 2)  # a panel that would clear anything it saw


def test_a_decisive_lexicon_hit_is_never_sent_and_never_cleared() -> None:
    # Even with an embedding turn first (so flagged_stage is "embedding"), a later decisive
    # lexicon hit keeps the conversation away from the panel.
    batch = _assessed(_t("lex", "RISK", "a"), _t("mixed", "MAYBE", "a", "RISK", "b"))
    judge = FakeJudge({}, default=CLEAR_ALL)
    out = judge_batch(judge, batch)
    assert judge.seen == []
    assert all(a.finding.risk_detected and "judge" not in a.finding.stages for a in out)
    assert [a.llm_reason for a in out] == [None, None]


def test_an_undecided_conversation_is_sent_and_settled() -> None:
    batch = _assessed(_t("safe", "UNSURE", "a"), _t("raised", "hi", "a", "UNSURE", "SUPPORT"),
                      _t("silent", "UNSURE", "a"))
    assert [a.finding.status for a in batch] == ["unjudged"] * 3
    judge = FakeJudge({"safe": JudgeDecision(False, None, 2, 2),
                       "raised": JudgeDecision(True, True, 2, 2)})
    safe, raised, silent = judge_batch(judge, batch)
    assert sorted(t.id for t in judge.seen) == ["raised", "safe", "silent"]
    assert safe.finding.status == "no_risk" and safe.flagged_stage is None
    assert raised.finding.risk_detected and raised.finding.status == "ok"
    assert raised.finding.risk_turn == 2 and raised.flagged_stage == "judge"
    # The panel could not say: the conversation stays unjudged -- never turned into safe.
    assert silent.finding.status == "unjudged" and not silent.finding.risk_detected
    assert all(a.llm_sent and a.llm_reason == "undecided" for a in (safe, raised, silent))
    assert all("judge" in a.finding.stages and a.review for a in (safe, raised, silent))


def test_a_low_confidence_embedding_flag_is_sent_a_confident_one_is_not() -> None:
    batch = _assessed(_t("maybe", "MAYBE", "a"), _t("likely", "LIKELY", "a"),
                      _t("maybe2", "MAYBE", "SUPPORT"))
    judge = FakeJudge({"maybe": CLEAR_ALL, "maybe2": JudgeDecision(True, False, 2, 2)},
                      default=CLEAR_ALL)
    maybe, likely, maybe2 = judge_batch(judge, batch)
    assert sorted(t.id for t in judge.seen) == ["maybe", "maybe2"]
    assert maybe.finding.status == "no_risk" and not maybe.finding.risk_detected
    assert likely.finding.risk_detected and likely.llm_reason is None
    assert maybe2.finding.status == "missed_intervention" and maybe2.flagged_stage == "judge"
    # The cut is the policy's: at 0.7 the 0.75 flags are confident and nothing is sent.
    strict = FakeJudge({}, default=CLEAR_ALL)
    judge_batch(strict, batch, policy=JudgePolicy(confidence_cut=0.7))
    assert strict.seen == []


def test_the_budget_caps_what_is_sent_by_priority_and_the_rest_stays_unjudged() -> None:
    batch = _assessed(
        _t("flag", "MAYBE", "a"), _t("u1", "UNSURE", "a"), _t("u2", "UNSURE", "a"),
        *(_t(f"n{i}", "fine", "good") for i in range(37)),
    )
    budget = JudgeBudget(0.05)  # ceil(0.05 * 40) = 2 of the 3 wanted
    judge = FakeJudge({}, default=CLEAR_ALL)
    out = judge_batch(BudgetedJudge(judge, JudgePolicy(budget=budget)), batch)
    assert sorted(t.id for t in judge.seen) == ["u1", "u2"]  # undecided first
    flag = out[0]
    assert flag.llm_reason == "low_confidence" and not flag.llm_sent
    assert flag.finding.risk_detected  # over budget: keeps its offline outcome
    assert (budget.seen, budget.sent) == (40, 2)
    # Next batch: its own share (ceil(0.05 * 80) - 2 = 2) covers both; u3 first, then the
    # lowest-scoring flag.
    batch2 = _assessed(_t("f2", "MAYBE", "a"), _t("u3", "UNSURE", "a"),
                       *(_t(f"m{i}", "fine", "good") for i in range(38)))
    out2 = judge_batch(BudgetedJudge(judge, JudgePolicy(budget=budget)), batch2)
    assert [a.llm_sent for a in out2[:2]] == [True, True] and budget.sent == 4
    # An undecided conversation over budget stays unjudged, never safe.
    tight = JudgeBudget(0.0)
    over = judge_batch(FakeJudge({}, default=CLEAR_ALL), _assessed(_t("u", "UNSURE", "a")),
                       policy=JudgePolicy(budget=tight))
    assert over[0].finding.status == "unjudged" and not over[0].llm_sent
    assert over[0].llm_reason == "undecided" and "judge" not in over[0].finding.stages


def test_low_confidence_flags_closest_to_the_threshold_go_first() -> None:
    batch = _assessed(_t("a", "MAYBE", "x"), _t("b", "MAYBE", "x"))
    batch[1] = replace(batch[1], basis=replace(batch[1].basis, flag_score=0.71))
    judge = FakeJudge({}, default=CLEAR_ALL)
    judge_batch(judge, batch, policy=JudgePolicy(budget=JudgeBudget(0.5)))
    assert [t.id for t in judge.seen] == ["b"]


def test_without_a_screen_basis_only_undecided_ones_are_sent() -> None:
    # An Assessed built without with_screen_basis: the stage cannot show a flag is doubtful,
    # so it sends only what the finding itself says is undecided.
    checker = InterventionChecker(2, detect_support=fake_support, is_crisis_script=fake_script)
    screened, _ = screen_batch(FakeScreen(), [_t("m", "MAYBE", "a"), _t("u", "UNSURE", "a"),
                                              _t("r", "RISK", "a")])
    judge = FakeJudge({}, default=CLEAR_ALL)
    out = judge_batch(judge, assess_batch(checker, screened))
    assert [t.id for t in judge.seen] == ["u"]
    assert out[0].finding.risk_detected and out[2].finding.risk_detected
