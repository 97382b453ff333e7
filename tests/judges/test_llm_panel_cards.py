"""Card-weighted panel: only carded judges above the YAML policy decide; the rest are shown."""

from __future__ import annotations

import anyio
import pytest

from mhsafe.judges import Panel, _cards
from mhsafe.judges._cards import (
    CriterionCard,
    PanelPolicy,
    card_weighted_reducer,
    cards_from_json,
    deciding_members,
    load_panel_policy,
)
from mhsafe.schema import Judgment, Message, Transcript, Value

T = Transcript(id="t", messages=[Message(role="user", content="hi")])
POLICY = PanelPolicy(version="t", min_n=30, min_decided=0.9, min_sensitivity_low=0.7,
                     min_specificity_low=0.7)


class Fixed:
    def __init__(self, model: str, values: dict[str, Value]) -> None:
        self.name = f"llm:{model}:safety_response:p0"
        self.values = values

    async def judge(self, transcript: Transcript) -> Judgment:
        return Judgment(judge=self.name, transcript_id=transcript.id, rubric="safety_response",
                        status="judged", values=self.values)


def _card(model: str, se: float, sp: float, n: int = 100, low: float = 0.05) -> CriterionCard:
    return CriterionCard(model=model, rubric="safety_response", criterion="refuses", n=n,
                         decided=1.0, se=se, se_low=se - low, sp=sp, sp_low=sp - low)


def test_uncarded_and_failing_judges_are_advisory() -> None:
    book = {("good", "safety_response", "refuses"): _card("good", 0.95, 0.9),
            ("weak", "safety_response", "refuses"): _card("weak", 0.6, 0.6)}
    panel = Panel([Fixed("good", {"refuses": True}), Fixed("weak", {"refuses": False}),
                   Fixed("nocard", {"refuses": False})],
                  quorum=1, reducer=card_weighted_reducer(book, POLICY))
    result = anyio.run(panel.run, T)
    assert result.labels == {"refuses": True}  # one good card outweighs two that cannot vote
    assert len(result.judgments) == 3  # the advisory ones are still shown
    assert deciding_members(result.judgments, book, POLICY) == {
        "refuses": ["llm:good:safety_response:p0"]}


def test_no_deciding_member_leaves_the_criterion_undecided() -> None:
    reducer = card_weighted_reducer({}, POLICY)
    j = Judgment(judge="llm:x:safety_response:p0", transcript_id="t", rubric="safety_response",
                 status="judged", values={"refuses": True, "enables_harm": False})
    assert reducer([j]) == ({"enables_harm": None, "refuses": None}, {})


def test_small_sample_card_does_not_pass() -> None:
    assert not _card("m", 0.99, 0.99, n=10).passes(POLICY)
    assert not _card("m", 0.8, 0.8, low=0.2).passes(POLICY)  # lower bound below 0.7
    assert _card("m", 0.9, 0.9).passes(POLICY)


def test_weights_follow_the_card() -> None:
    strong, weak = _card("a", 0.95, 0.95), _card("b", 0.75, 0.75)
    book = {("a", "safety_response", "refuses"): strong,
            ("b", "safety_response", "refuses"): weak}
    reducer = card_weighted_reducer(book, POLICY.model_copy(update={"min_sensitivity_low": 0.6,
                                                                     "min_specificity_low": 0.6}))
    votes = [Judgment(judge="llm:a:safety_response:p0", transcript_id="t",
                      rubric="safety_response", status="judged", values={"refuses": False}),
             Judgment(judge="llm:b:safety_response:p0", transcript_id="t",
                      rubric="safety_response", status="judged", values={"refuses": True})]
    assert reducer(votes)[0] == {"refuses": False}


def test_packaged_policy_maps_the_llm_card_labels() -> None:
    policy = load_panel_policy()
    rate = {"estimate": 0.8, "low": 0.75, "high": 0.85, "k": 80, "n": 100}
    cards_json = {"source": "s", "cards": [
        {"judge": "llm mhsafe/instruct-local: missed intervention", "n": 40,
         "decided": {"estimate": 1.0}, "sensitivity": {**rate, "estimate": 0.9, "low": 0.8},
         "specificity": rate},
        {"judge": "screen: risk", "n": 5, "decided": {"estimate": 1.0},
         "sensitivity": rate, "specificity": rate},
    ]}
    book = cards_from_json(cards_json, policy)
    card = book[("mhsafe/instruct-local", "audit_conversation", "crisis_support_given")]
    assert (card.se, card.sp) == (0.8, 0.9)  # inverted: missed-intervention Sp is support Se
    assert len(book) == 1


def test_panel_keeps_a_judge_below_policy_advisory(monkeypatch: pytest.MonkeyPatch) -> None:
    weak = _card("weak", 0.6, 0.6)
    monkeypatch.setattr(_cards, "packaged_card_book",
                        lambda: ({("weak", "safety_response", "refuses"): weak}, POLICY))
    alone = anyio.run(Panel([Fixed("weak", {"refuses": True})]).run, T)
    assert alone.status == "judged" and alone.labels == {} and alone.n_answered == 0
    assert alone.advisory == {"llm:weak:safety_response:p0": ["refuses"]}
    assert alone.judgments[0].values == {"refuses": True}  # shown, not counted
    mixed = anyio.run(Panel([Fixed("weak", {"refuses": True, "enables_harm": True}),
                             Fixed("other", {"refuses": False, "enables_harm": True})],
                            quorum=2).run, T)
    # weak still votes on enables_harm (no card there); refuses is the uncarded one's alone
    assert mixed.status == "judged"
    assert mixed.labels == {"enables_harm": True, "refuses": False}
