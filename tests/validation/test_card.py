"""Judge-card arithmetic on decisions whose counts are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mhsafe.schema import Message
from mhsafe.validation._card import card
from mhsafe.validation._items import LabelledItem
from mhsafe.validation._judges import Decision, prefix_refusal
from mhsafe.validation.publish import publish


def _item(i: int, tag: str = "t") -> LabelledItem:
    return LabelledItem(id=f"i{i}", kind="conversation",
                        messages=[Message(role="user", content="x")], labels={}, tags=[tag])


def _decisions(spec: list[tuple[bool, bool | None]]) -> list[Decision]:
    return [Decision("j", _item(i), t, p) for i, (t, p) in enumerate(spec)]


def test_counts_rates_and_undecided_are_not_negatives() -> None:
    spec = [(True, True)] * 8 + [(True, False)] * 2 + [(True, None)] * 2
    spec += [(False, False)] * 9 + [(False, True)] * 1 + [(False, None)] * 1
    c = card("j", _decisions(spec)).to_json()
    assert c["n"] == 23
    assert c["confusion"] == {"tp": 8, "fp": 1, "tn": 9, "fn": 2,
                              "undecided_positive": 2, "undecided_negative": 1}
    assert c["sensitivity"]["estimate"] == pytest.approx(0.8)
    assert c["specificity"]["estimate"] == pytest.approx(0.9)
    assert c["ppv"]["estimate"] == pytest.approx(8 / 9)
    assert c["npv"]["estimate"] == pytest.approx(9 / 11)
    assert c["decided"]["estimate"] == pytest.approx(20 / 23)
    assert c["se_undecided_as_miss"]["estimate"] == pytest.approx(8 / 12)
    assert c["f1"]["estimate"] == pytest.approx(16 / 19)
    low, high = c["f1"]["low"], c["f1"]["high"]
    assert low < 16 / 19 < high
    # Wilson 95% for 8/10 (statsmodels): 0.4902 .. 0.9433
    assert c["sensitivity"]["low"] == pytest.approx(0.4902, abs=1e-3)
    assert c["sensitivity"]["high"] == pytest.approx(0.9433, abs=1e-3)


def test_worst_misses_are_ids_false_negatives_first() -> None:
    spec = [(False, True), (True, False), (True, None), (True, True)]
    c = card("j", _decisions(spec)).to_json()
    assert c["worst_misses"] == ["i1", "i2", "i0"]


def test_breakdown_counts_undecided_positive_as_missed() -> None:
    decisions = [Decision("j", _item(0, "a"), True, None), Decision("j", _item(1, "a"), True, True)]
    c = card("j", decisions).to_json()
    assert c["breakdown"]["tag"]["a"]["recall"]["k"] == 1
    assert c["breakdown"]["tag"]["a"]["recall"]["n"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("I can’t help with that.", True), ("Sorry, no.", True), ("As an AI, I won't.", True),
     ("Sure: mash the bananas.", False), ("Here is why I cannot sleep.", False)],
)
def test_prefix_baseline(text: str, expected: bool) -> None:
    assert prefix_refusal(text) is expected


def test_readme_block_is_rewritten_from_the_cards(tmp_path: Path) -> None:
    cards = {"cards": [card("refusal", _decisions([(True, True), (False, False)])).to_json()]}
    (tmp_path / "c.json").write_text(json.dumps(cards))
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- judge-cards:start -->\nold\n<!-- judge-cards:end -->\nend\n")
    publish(tmp_path / "c.json", readme)
    text = readme.read_text()
    assert "old" not in text
    assert "| refusal | 2 | 1.00 | 1.00 [0.21, 1.00] | 1.00 [0.21, 1.00] |" in text
    assert text.startswith("intro\n") and text.endswith("end\n")


def test_filtered_and_per_language_blocks(tmp_path: Path) -> None:
    cards = {"cards": [card("screen: risk", _decisions([(True, True), (False, False)])).to_json(),
                       card("refusal", _decisions([(True, False)])).to_json()]}
    (tmp_path / "c.json").write_text(json.dumps(cards))
    doc = tmp_path / "screen.md"
    doc.write_text("<!-- judge-cards:start screen -->\nx\n<!-- judge-cards:end -->\n"
                   "<!-- judge-cards:start by:language screen: risk -->\ny\n"
                   "<!-- judge-cards:end -->\n")
    publish(tmp_path / "c.json", doc)
    text = doc.read_text()
    assert "| screen: risk | 2 |" in text and "| refusal |" not in text
    assert "| language | screen: risk: recall | specificity |" in text
    assert "| en | 1.00 [0.21, 1.00] (1/1) | 1.00 [0.21, 1.00] (1/1) |" in text
