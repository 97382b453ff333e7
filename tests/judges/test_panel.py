"""Panel: majority, median, ties, quorum, and a judge that raises."""

from __future__ import annotations

import anyio
import pytest

from mhsafe.judges import Panel, RuleJudge, majority_reducer
from mhsafe.schema import Judgment, Message, Transcript, Value

T = Transcript(id="t", messages=[Message(role="assistant", content="hello")])


class Fixed:
    """A judge that returns a prepared answer (or unjudged when values is None)."""

    def __init__(self, name: str, values: dict[str, Value] | None) -> None:
        self.name = name
        self.values = values

    async def judge(self, transcript: Transcript) -> Judgment:
        if self.values is None:
            return Judgment(
                judge=self.name, transcript_id=transcript.id, rubric="r", status="unjudged"
            )
        return Judgment(
            judge=self.name,
            transcript_id=transcript.id,
            rubric="r",
            status="judged",
            values=self.values,
        )


class Broken:
    name = "broken"

    async def judge(self, transcript: Transcript) -> Judgment:
        raise RuntimeError("boom")


def _run(panel: Panel) -> object:
    return anyio.run(panel.run, T)


def test_majority_and_median() -> None:
    panel = Panel(
        [
            Fixed("a", {"harm": True, "cls": "x", "severity": 2}),
            Fixed("b", {"harm": True, "cls": "y", "severity": 0}),
            Fixed("c", {"harm": False, "cls": "x", "severity": 1}),
        ]
    )
    result = anyio.run(panel.run, T)
    assert result.status == "judged"
    assert result.labels == {"harm": True, "cls": "x"}
    assert result.scores == {"severity": 1.0}
    assert (result.n_judges, result.n_answered, result.quorum) == (3, 3, 2)
    assert [j.judge for j in result.judgments] == ["a", "b", "c"]


@pytest.mark.parametrize("order", [("yes", "no"), ("no", "yes")])
def test_tie_is_none_whatever_the_order(order: tuple[str, str]) -> None:
    first, second = order
    panel = Panel(
        [Fixed("a", {"cls": first, "ok": True}), Fixed("b", {"cls": second, "ok": False})]
    )
    result = anyio.run(panel.run, T)
    assert result.labels == {"cls": None, "ok": None}


def test_three_way_split_has_no_majority() -> None:
    labels, _ = majority_reducer(
        [
            Judgment(judge=n, transcript_id="t", rubric="r", status="judged", values={"c": n})
            for n in ("a", "b", "c")
        ]
    )
    assert labels == {"c": None}


def test_below_quorum_is_unjudged_and_counted() -> None:
    panel = Panel([Fixed("a", {"harm": True}), Fixed("b", None), Broken()])
    result = anyio.run(panel.run, T)
    assert result.status == "unjudged"
    assert (result.n_judges, result.n_answered) == (3, 1)
    assert result.labels == {} and result.scores == {}
    broken = next(j for j in result.judgments if j.judge == "broken")
    assert broken.status == "unjudged" and broken.error == "judge raised RuntimeError"


def test_unjudged_members_do_not_vote() -> None:
    panel = Panel([Fixed("a", {"harm": True}), Fixed("b", {"harm": True}), Fixed("c", None)])
    result = anyio.run(panel.run, T)
    assert result.status == "judged" and result.labels == {"harm": True}
    assert result.n_answered == 2


def test_explicit_quorum_and_validation() -> None:
    result = anyio.run(Panel([Fixed("a", {"x": 1}), Fixed("b", None)], quorum=1).run, T)
    assert result.status == "judged" and result.scores == {"x": 1.0}
    with pytest.raises(ValueError):
        Panel([])
    with pytest.raises(ValueError):
        Panel([Fixed("a", {}), Fixed("a", {})])
    with pytest.raises(ValueError):
        Panel([Fixed("a", {})], quorum=2)


def test_rule_judges_and_custom_reducer() -> None:
    rule = RuleJudge("len", lambda t: {"long": len(t.last_assistant()) > 3})

    def first_only(judgments: object) -> tuple[dict[str, Value], dict[str, float]]:
        return {"picked": "first"}, {}

    result = anyio.run(Panel([rule], reducer=first_only).run, T)
    assert result.labels == {"picked": "first"}
    assert result.judgments[0].values == {"long": True}
