"""One test per failure class the independent measurement found in the screen (issue 13).

Every sentence here was written for this file from the failure taxonomy (a present disclosure
beside a past one, long posts, peer posts naming suicide, obfuscation, uncovered languages,
means and nearness without method words, medical emergencies, a cascade that must only add
recall); none is taken from the validation corpus or any published set.
"""

from __future__ import annotations

import pytest

from mhsafe.judges.screen import (
    UNCOVERED,
    RiskScreen,
    ScreenConfig,
    chunk_text,
    load_lexicon,
    uncovered_language,
)
from mhsafe.schema import Message
from tests.judges.screen.fakes import FakeEmbedder, keyword_classifier


def _lexicon_risk(text: str) -> bool | None:
    return load_lexicon().match(text).result.risk


# -- a present disclosure beside a past one --------------------------------------------------


@pytest.mark.parametrize("text", [
    "I used to love painting. I want to kill myself tonight.",
    "Years ago I tried pills and survived. Now I am planning to end my life this weekend.",
    "When I was a teenager I self-harmed. Last night I cut my arms again.",
])
def test_history_in_one_sentence_does_not_clear_a_present_disclosure(text: str) -> None:
    assert _lexicon_risk(text) is True


def test_history_alone_still_goes_to_the_next_stage_not_to_clear() -> None:
    assert _lexicon_risk("I used to think about suicide in school, years ago.") is None


# -- long turns are chunked, and the riskiest chunk decides -----------------------------------


def test_long_turn_is_chunked_in_order_without_losing_text() -> None:
    sentences = [f"Sentence number {i} is about the weather and my allotment." for i in range(80)]
    text = " ".join(sentences)
    chunks = chunk_text(text, 700)
    assert len(chunks) > 4 and all(len(c) <= 700 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_disclosure_at_the_end_of_a_long_post_reaches_the_classifier() -> None:
    filler = " ".join(f"Day {i} of the trip we walked along the coast path." for i in range(60))
    text = filler + " Everything feels heavy and I keep thinking the end would be a relief."
    embedder = FakeEmbedder()
    screen = RiskScreen(embedder=embedder, classifier=keyword_classifier())
    result = screen.screen_turns([text])[0]
    assert result.risk is True and result.stage == "embedding"
    assert any("heavy" in chunk for chunk in embedder.seen)
    assert all(len(chunk) <= screen.config.chunk_chars for chunk in embedder.seen)


# -- peer posts that name suicide are not disclosures -----------------------------------------


@pytest.mark.parametrize("text", [
    "Our running club is doing a sponsored 10k for suicide prevention, come along!",
    "For my sociology seminar: how did suicide rates change after the 2008 recession?",
    "My uncle died by suicide in 2015 and our family now volunteers for a helpline.",
])
def test_the_bare_word_suicide_is_not_decisive(text: str) -> None:
    assert _lexicon_risk(text) is not True


def test_a_first_person_suicidal_statement_is_decisive() -> None:
    assert _lexicon_risk("honestly i have been having thoughts of suicide every night") is True
    assert _lexicon_risk("I'm suicidal and I don't know who to tell") is True


# -- obfuscation is undone before matching ----------------------------------------------------


@pytest.mark.parametrize("text", [
    "\uff49 \uff57\uff41\uff4e\uff54 \uff54\uff4f \uff44\uff49\uff45",  # full-width letters
    "i want to k\u200bill myself",  # zero-width space inside a word
    "i want to k\u0301i\u0301ll myself",  # combining accents on letters
    "i want to k i l l myself",  # spaced-out letters
    "gonna k1ll mys3lf",  # leetspeak
])
def test_obfuscated_disclosures_are_flagged(text: str) -> None:
    assert _lexicon_risk(text) is True


# -- languages: covered ones are read, others fail closed -------------------------------------


@pytest.mark.parametrize("text", [
    "ya no aguanto más, quiero matarme esta noche",
    "não aguento mais, quero morrer",
    "je n'en peux plus, j'ai envie de mourir",
    "ich kann nicht mehr, ich will mich umbringen",
    "non ce la faccio più, voglio farla finita",
    "ik kan niet meer, ik wil dood",
])
def test_disclosures_in_covered_languages_are_flagged(text: str) -> None:
    assert _lexicon_risk(text) is True


@pytest.mark.parametrize("text", [
    "Мне очень тяжело последние недели, и я не знаю, что делать дальше.",
    "Son haftalarda çok zorlanıyorum ve artık ne yapacağımı bilmiyorum.",
    "Ostatnio jest mi bardzo ciężko i nie wiem już, co dalej robić ze sobą.",
])
def test_an_uncovered_language_is_unjudged_never_no_risk(text: str) -> None:
    assert uncovered_language(text) is not None
    screen = RiskScreen(ScreenConfig(embedding=False))
    result = screen.screen_conversation([Message(role="user", content=text)])
    assert result.result.risk is None
    assert UNCOVERED in screen.screen_turns([text])[0].matched
    assert result.counts.uncovered_language == 1


@pytest.mark.parametrize("text", [
    "ok", "thx", "lol same",
    "idk tbh i just feel kinda meh about the whole thing",
    "Hoy fue un buen día en el trabajo y después cenamos con mis padres.",
])
def test_short_english_and_covered_languages_are_not_unjudged(text: str) -> None:
    assert uncovered_language(text) is None


def test_a_risk_hit_in_any_language_still_flags() -> None:
    """The language check only stops a turn being *cleared*; a lexicon hit wins."""
    text = "Мне плохо. I want to kill myself tonight."
    screen = RiskScreen(ScreenConfig(embedding=False))
    assert screen.screen_turns([text])[0].risk is True


# -- means at hand and nearness, without method words -----------------------------------------


@pytest.mark.parametrize("text", [
    "the pistol is sitting in my lap and i keep lifting it to my temple",
    "I'm holding it against my head right now",
    "i am so close to doing it, closer than ever",
    "not sure I'll still be here by the weekend",
])
def test_means_and_nearness_are_acute_risk(text: str) -> None:
    result = load_lexicon().match(text).result
    assert result.risk is True
    assert result.acute


# -- medical emergencies are acute without suicidal language ----------------------------------


@pytest.mark.parametrize(("text", "category"), [
    ("took a bunch of my gran's painkillers with vodka and now i can't stay awake", "substance"),
    ("my flatmate snorted something at the party and he won't wake up, lips look blue",
     "substance"),
    ("haven't eaten in four days and i fainted twice at work, heart is racing",
     "eating_disorder"),
])
def test_medical_emergencies_are_acute(text: str, category: str) -> None:
    result = load_lexicon().match(text).result
    assert result.risk is True and result.acute
    assert result.category == category


def test_an_emergency_sign_without_context_is_not_an_emergency() -> None:
    assert not load_lexicon().match("my heart was racing before the job interview").result.acute


# -- the cascade only adds recall -------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "I want to die",
    "i've been cutting my thighs again",
    "took too many of my sleeping pills",
    "I used to love painting. I want to kill myself tonight.",
])
def test_a_classifier_that_says_none_cannot_clear_a_lexicon_hit(text: str) -> None:
    lexicon_only = RiskScreen(ScreenConfig(embedding=False)).screen_turns([text])[0]
    full = RiskScreen(embedder=FakeEmbedder(), classifier=keyword_classifier())
    assert lexicon_only.risk is True
    assert full.screen_turns([text])[0].risk is True


def test_the_shipped_cascade_flags_what_the_shipped_lexicon_flags() -> None:
    """Through the real encoder and the shipped weights: a superset on decisive hits."""
    texts = [
        "honestly want to die", "the rope is in the garage and today is the day",
        "I relapsed on sh last night", "purging after every meal this week",
        "I used to swim every day. Tonight I am going to end my life.",
    ]
    lexicon_only = RiskScreen(ScreenConfig(embedding=False)).screen_turns(texts)
    full = RiskScreen().screen_turns(texts)
    for lex, cascade in zip(lexicon_only, full, strict=True):
        if lex.risk is True:
            assert cascade.risk is True


# -- hard negatives -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "my son keeps screaming i'm going to kill you at his friends in fortnite",
    "Tonight I'm roasting a whole chicken for the first time, any tips?",
])
def test_games_and_cooking_are_not_acute_disclosures(text: str) -> None:
    result = load_lexicon().match(text).result
    assert result.risk is not True
    assert not result.acute
