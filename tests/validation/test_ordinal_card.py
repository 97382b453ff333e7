"""Ordinal judge-card arithmetic (protocol fidelity 0/1/2) on a hand-made example whose
linearly weighted kappa is worked out by hand."""

from __future__ import annotations

import pytest

from mhsafe.schema import Message
from mhsafe.validation._card import CardSet, ordinal_card, weighted_kappa
from mhsafe.validation._items import LabelledItem
from mhsafe.validation._judges import OrdinalDecision
from mhsafe.validation._render import cards_markdown, summary_lines


def _decisions(pairs: list[tuple[int, int | None]]) -> list[OrdinalDecision]:
    return [
        OrdinalDecision("fid", LabelledItem(id=f"i{i}", kind="reply", messages=[
            Message(role="user", content="x")], labels={}, reply="y"), t, p)
        for i, (t, p) in enumerate(pairs)
    ]


# truth 0,0,1,1,2,2 against 0,1,1,2,2,2. Linear weights w = 1 - |i-j|/2:
# observed weighted agreement (1 + .5 + 1 + .5 + 1 + 1)/6 = 5/6; marginals truth (1/3 each),
# judge (1/6, 2/6, 3/6) give chance agreement 5/9; kappa = (5/6 - 5/9)/(1 - 5/9) = 5/8.
PAIRS: list[tuple[int, int | None]] = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 2)]


def test_weighted_kappa_matches_the_hand_computation() -> None:
    truth = [t for t, _ in PAIRS]
    pred = [p for _, p in PAIRS if p is not None]
    assert weighted_kappa(truth, pred, (0, 1, 2)) == pytest.approx(5 / 8)
    assert weighted_kappa(truth, truth, (0, 1, 2)) == pytest.approx(1.0)
    assert weighted_kappa([1, 1], [1, 1], (0, 1, 2)) is None  # chance agreement is total


def test_ordinal_card_counts_exact_kappa_matrix_and_undecided() -> None:
    c = ordinal_card("fid", _decisions([*PAIRS, (0, None)])).to_json()
    assert c["kind"] == "ordinal" and c["n"] == 7
    assert (c["decided"]["k"], c["decided"]["n"]) == (6, 7)
    assert (c["exact_agreement"]["k"], c["exact_agreement"]["n"]) == (4, 6)
    assert (c["exact_undecided_as_miss"]["k"], c["exact_undecided_as_miss"]["n"]) == (4, 7)
    assert c["weighted_kappa"]["estimate"] == pytest.approx(5 / 8)
    low, high = c["weighted_kappa"]["low"], c["weighted_kappa"]["high"]
    assert low is not None and high is not None and low <= 5 / 8 <= high
    assert c["mean_absolute_error"] == pytest.approx(2 / 6)
    assert c["confusion"]["matrix"] == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    assert c["worst_misses"][0] == "i6"  # the undecided item first, then the 1-step misses
    assert set(c["worst_misses"][1:]) == {"i1", "i3"}


def test_ordinal_cards_render_beside_binary_ones() -> None:
    cards = CardSet("hand", 7, 0, [], [], [ordinal_card("fid", _decisions(PAIRS))])
    text = cards_markdown(cards)
    assert "| fid | 6 | 1.00" in text and "0.67 [" in text and "0.62 [" in text
    assert "| 2 | 0 | 0 | 2 |" in text  # the confusion matrix's last row
    assert summary_lines(cards)[0].split()[:3] == ["fid", "n=", "6"]
    assert cards.to_json()["ordinal_cards"][0]["judge"] == "fid"
