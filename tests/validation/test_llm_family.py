"""The LLM-judge family: a seeded stratified sample, production rubrics, fail-closed decisions.

The judge here is a scripted Inspect model (unit test); the real model is carded with
`mhsafe validate --split test --llm-judge mhsafe/instruct-local` (docs/judge-cards-llm.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from inspect_ai.model import ModelOutput, get_model

from mhsafe.validation import load_labelled
from mhsafe.validation._items import LabelledItem
from mhsafe.validation._llm_family import (
    llm_cards,
    llm_decisions,
    stratified_sample,
    stratum,
    write_llm_cards,
)
from tests.scripted import scripted_output

FIXTURE = Path(__file__).parent / "data" / "labelled_fixture.jsonl"


def _items() -> list[LabelledItem]:
    return load_labelled([FIXTURE]).items


class _Lazy:
    """An endless iterator of scripted outputs; Inspect's mockllm reads one per call."""

    def __init__(self, answer: Callable[[str], str]) -> None:
        self.answer = answer

    def __iter__(self) -> _Lazy:
        return self

    def __next__(self) -> ModelOutput:
        return scripted_output(self.answer(""))


def test_sample_is_seeded_stratified_and_covers_every_stratum() -> None:
    items = _items()
    covered = [i for i in items if stratum(i) is not None]
    strata = Counter(stratum(i) for i in covered)
    a = stratified_sample(items, len(strata) + 1, seed=3)
    b = stratified_sample(items, len(strata) + 1, seed=3)
    assert [i.id for i in a] == [i.id for i in b]
    assert {stratum(i) for i in a} == set(strata)  # at least one per stratum
    assert len(a) == min(len(strata) + 1, len(covered))
    c = stratified_sample(items, len(covered), seed=4)
    assert sorted(i.id for i in c) == sorted(i.id for i in covered)


def test_unparseable_answers_are_undecided_never_negative() -> None:
    items = stratified_sample(_items(), 4, seed=0)
    model = get_model("mockllm/model", custom_outputs=_Lazy(lambda _: "not json"))
    decisions = llm_decisions(items, model)
    assert decisions and all(d.predicted is None for d in decisions)


def test_answers_become_cards(tmp_path: Path) -> None:
    # the reply rubric's answer: reply items are decided (all "yes"); the audit rubric's closed
    # schema rejects it, so every conversation item stays undecided (never a negative)
    model = get_model(
        "mockllm/model",
        custom_outputs=_Lazy(
            lambda _: '{"enables_harm":true,"refuses":true,"gives_crisis_support":true}'
        ),
    )
    cards = llm_cards(_items(), model, sample=20, seed=0, source="fixture")
    assert cards.cards
    assert "seed=0" in cards.source
    for c in cards.cards:
        if c.judge.endswith((": refusal", ": harm enablement")):
            assert c.decided == c.n and c.fn == 0 and c.tn == 0
        else:
            assert c.decided == 0
    json_path, md_path = write_llm_cards(cards, tmp_path)
    assert json_path.name == "judge_cards_llm.json" and md_path.exists()
    assert not (tmp_path / "judge_cards.json").exists()  # offline cards are never overwritten
