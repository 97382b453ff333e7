"""Batch stages: screen results land on the right message, findings follow from them."""

from __future__ import annotations

from mhsafe.audit import InterventionChecker, assess_batch, screen_batch
from mhsafe.schema import Message, Transcript
from tests.audit.fakes import FakeScreen, fake_script, fake_support


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
