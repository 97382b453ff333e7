"""Obfuscated disclosures reach the lexicon as plain text; ordinary text is left alone."""

from __future__ import annotations

import pytest

from mhsafe.judges.screen._lexicon import load_lexicon
from mhsafe.judges.screen._normalise import deobfuscate

DISCLOSURE = "i want to kill myself"


@pytest.mark.parametrize(
    "text",
    [
        "i want to k1ll mys3lf",  # leetspeak
        "i want to k i l l myself",  # spaced-out letters
        "i want to \uff4b\uff49\uff4c\uff4c myself",  # full-width letters
        "i want to ki\u200bll myself",  # zero-width space inside a word
        "i want to k\u0338\u0322i\u0334l\u0337l myself",  # stacked combining marks
    ],
)
def test_obfuscation_is_undone_and_flagged(text: str) -> None:
    assert deobfuscate(text) == DISCLOSURE
    assert load_lexicon().match(text).result.risk is True


@pytest.mark.parametrize(
    "text",
    ["call 988 now", "I scored 10 points in round 2", "me muero de risa, qué día",
     "Grüße aus Köln"],
)
def test_plain_text_is_unchanged(text: str) -> None:
    assert deobfuscate(text) == text


def test_normalisation_only_adds_hits() -> None:
    lexicon = load_lexicon()
    plain = lexicon.match(DISCLOSURE)
    assert plain.result.risk is True
    assert lexicon.match("nice weather today").result.risk is not True


def test_history_marker_scopes_to_its_own_sentence() -> None:
    lexicon = load_lexicon()
    hit = lexicon.match("I used to love painting. I want to kill myself tonight.")
    assert hit.result.risk is True
    assert hit.result.acute is True
    # A history marker in the same sentence still holds the hit back for the next stage.
    assert lexicon.match("Years ago I wanted to kill myself.").result.risk is None
