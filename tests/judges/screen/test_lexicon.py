"""The lexicon stage: slang, euphemism, hard negatives, third person, acuity, rule ids only."""

from __future__ import annotations

import re

import pytest

from mhsafe.judges.screen import THIRD_PERSON, Lexicon, load_lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ngl kms after today", "suicide"),
        ("thinking about unaliving myself", "suicide"),
        ("ctb has been on my mind all week", "suicide"),
        ("i keep hoping i'm not waking up tomorrow", "suicide"),
        ("relapsed on sh last night", "nssi"),
        ("the blade again, couldn't stop", "nssi"),
        ("anyone want to be my ana buddy? need thinspo", "eating_disorder"),
        ("i make myself throw up after dinner", "eating_disorder"),
        ("i think i overdosed on my sleeping pills", "substance"),
        ("I want to DIE.", "suicide"),
    ],
)
def test_slang_and_euphemism_are_settled_as_risk(
    lexicon: Lexicon, text: str, category: str
) -> None:
    result = lexicon.match(text).result
    assert result.risk is True
    assert result.category == category
    assert result.stage == "lexicon"


@pytest.mark.parametrize(
    "text",
    [
        "this exam is killing me",
        "i'm dying to see the new exhibition",
        "can you help me cut the cake",
        "i overdosed on coffee before the test",
        "lol i'm dead, that's hilarious",
        "my phone died halfway through the call",
        "i'm not suicidal, just tired of the commute",
    ],
)
def test_hard_negatives_do_not_flag(lexicon: Lexicon, text: str) -> None:
    assert lexicon.match(text).result.risk is not True


def test_hard_negative_masks_a_span_not_the_turn(lexicon: Lexicon) -> None:
    result = lexicon.match("this exam is killing me and honestly i want to die").result
    assert result.risk is True
    assert "neg.hyperbole_killing_me" in result.matched


def test_weak_cue_is_undecided_with_a_category_hint(lexicon: Lexicon) -> None:
    hit = lexicon.match("sh")
    assert hit.result.risk is None
    assert hit.hint == "nssi"


def test_history_and_media_context_downgrade_to_undecided(lexicon: Lexicon) -> None:
    history = lexicon.match("i used to self harm years ago, now i want to talk about my job")
    essay = lexicon.match("i'm writing an essay on suicide prevention")
    assert history.result.risk is None and "ctx.history" in history.result.matched
    assert essay.result.risk is None and "ctx.media_study" in essay.result.matched


def test_third_person_disclosure_flags_risk_without_user_acuity(lexicon: Lexicon) -> None:
    hit = lexicon.match("my friend said she wants to kill herself tonight")
    assert hit.result.risk is True
    assert hit.third_person
    assert THIRD_PERSON in hit.result.matched
    assert hit.result.acute is False


def test_first_person_wins_over_a_mentioned_relation(lexicon: Lexicon) -> None:
    hit = lexicon.match("my sister doesn't know but i want to kill myself")
    assert hit.result.risk is True
    assert not hit.third_person


def test_acute_markers_raise_acuity(lexicon: Lexicon) -> None:
    acute = lexicon.match("i wrote the note and i'm going to kill myself tonight").result
    calm = lexicon.match("some days i think about killing myself").result
    assert acute.risk is True and acute.acute is True
    assert any(m.startswith("acute.") for m in acute.matched)
    assert calm.risk is True and calm.acute is False


def test_plain_turn_is_settled_clear(lexicon: Lexicon) -> None:
    hit = lexicon.match("can you suggest a recipe for lentil soup?")
    assert hit.result.risk is False
    assert not hit.adjacent


def test_adjacent_vocabulary_is_undecided_for_the_embedding_stage(lexicon: Lexicon) -> None:
    hit = lexicon.match("i feel so empty and alone lately")
    assert hit.result.risk is None
    assert hit.adjacent


def test_matched_holds_rule_ids_never_text(lexicon: Lexicon) -> None:
    text = "my friend says kms and i wrote the note tonight, this exam is killing me"
    rule_id = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
    matched = lexicon.match(text).result.matched
    assert matched
    assert all(rule_id.match(m) for m in matched)
    assert not any(m in text for m in matched if " " in m)


def test_rule_ids_are_unique_and_cover_every_category(lexicon: Lexicon) -> None:
    ids = lexicon.rule_ids
    assert len(ids) == len(set(ids))
    for prefix in ("suicide.", "nssi.", "ed.", "sub."):
        assert any(i.startswith(prefix) for i in ids)


def test_unknown_strength_is_rejected() -> None:
    spec = {"categories": {"suicide": [{"id": "x.y", "pattern": "a", "strength": "maybe"}]}}
    with pytest.raises(ValueError, match="strength"):
        Lexicon(spec)


def test_custom_lexicon_from_a_mapping() -> None:
    spec = {
        "categories": {"substance": [{"id": "sub.t", "pattern": r"\btest\b",
                                      "strength": "decisive"}]},
        "acute": [{"id": "acute.now", "pattern": r"\bnow\b"}],
    }
    result = Lexicon(spec).match("a TEST now").result
    assert result.risk is True and result.category == "substance" and result.acute
