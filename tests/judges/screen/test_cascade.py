"""The cascade: what reaches the embedding stage, counts, conversations, failing closed.

A fake encoder stands in for MiniLM here so these tests are instant; the real model is
exercised in test_embedding.py and test_heldout.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mhsafe.judges.screen import (
    THIRD_PERSON,
    Embedder,
    RiskScreen,
    ScreenConfig,
    ScreenCounts,
)
from mhsafe.schema import Message
from tests.judges.screen.fakes import FakeEmbedder, keyword_classifier


class BrokenEmbedder(Embedder):
    def encode(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        raise OSError("weights missing")




def _screen(**config: object) -> tuple[RiskScreen, FakeEmbedder]:
    fake = FakeEmbedder()
    return RiskScreen(ScreenConfig(**config), embedder=fake, classifier=keyword_classifier()), fake


def test_only_undecided_turns_are_embedded() -> None:
    screen, fake = _screen()
    texts = ["i want to kms", "recipe for soup please", "i feel so heavy and empty",
             "i feel empty but fine"]
    results, counts = screen.screen_turns_counted(texts)
    # undecided turns for the risk decision, then the lexicon hit for the acute head only
    assert fake.seen == ["i feel so heavy and empty", "i feel empty but fine", "i want to kms"]
    assert [r.risk for r in results] == [True, False, True, False]
    assert [r.stage for r in results] == ["lexicon", "lexicon", "embedding", "embedding"]
    assert counts == ScreenCounts(turns=4, lexicon_risk=1, lexicon_clear=1,
                                  lexicon_undecided=2, embedded=2, embedded_for_acuity=1,
                                  embedding_risk=1, embedding_clear=1, chunks_embedded=3)


def test_acute_head_can_raise_acuity_of_a_lexicon_hit() -> None:
    classifier = keyword_classifier()
    classifier.acute_coef[0] = 50.0  # the 'heavy' direction is acute for this fake head
    fake = FakeEmbedder()
    screen = RiskScreen(ScreenConfig(), embedder=fake, classifier=classifier)
    off = RiskScreen(ScreenConfig(acute_head_on_lexicon_hits=False), embedder=FakeEmbedder(),
                     classifier=classifier)
    text = "kms, everything is heavy"
    assert screen.screen_turns([text])[0].acute is True
    assert "embed.acute" in screen.screen_turns([text])[0].matched
    assert off.screen_turns([text])[0].acute is False


def test_gate_undecided_skips_adjacent_only_turns() -> None:
    screen, fake = _screen(embed_gate="undecided")
    results = screen.screen_turns(["i feel so heavy and empty", "sh"])
    assert fake.seen == ["sh"]
    assert results[0].risk is None  # adjacent-only and not embedded: still unknown


def test_gate_all_embeds_lexicon_clear_turns_too() -> None:
    screen, fake = _screen(embed_gate="all", acute_head_on_lexicon_hits=False)
    screen.screen_turns(["recipe for soup please", "kms"])
    assert fake.seen == ["recipe for soup please"]


def test_embedding_threshold_is_configurable() -> None:
    strict, _ = _screen(embedding_threshold=0.9999999)
    assert strict.screen_turns(["i feel so heavy and empty"])[0].risk is False


def test_lexicon_only_mode_resolves_weak_hits() -> None:
    sensitive = RiskScreen(ScreenConfig(embedding=False))
    lenient = RiskScreen(ScreenConfig(embedding=False, weak_hit_is_risk=False))
    texts = ["sh", "i feel so empty"]
    assert [r.risk for r in sensitive.screen_turns(texts)] == [True, False]
    assert [r.risk for r in lenient.screen_turns(texts)] == [False, False]


def test_embedding_only_mode_embeds_everything() -> None:
    fake = FakeEmbedder()
    screen = RiskScreen(ScreenConfig(lexicon=False), embedder=fake, classifier=keyword_classifier())
    results = screen.screen_turns(["kms", "heavy"])
    assert fake.seen == ["kms", "heavy"]
    assert all(r.stage == "embedding" for r in results)


def test_embedding_failure_fails_closed() -> None:
    screen = RiskScreen(ScreenConfig(), embedder=BrokenEmbedder(), classifier=keyword_classifier())
    results, counts = screen.screen_turns_counted(["i feel so empty", "kms"])
    assert results[0].risk is None
    assert results[1].risk is True
    assert counts.unresolved == 1
    assert screen.embedding_error is not None and "OSError" in screen.embedding_error


def test_conversation_first_risk_turn_indexes_messages() -> None:
    screen, _ = _screen()
    messages = [
        Message(role="system", content="be kind"),
        Message(role="user", content="work is busy"),
        Message(role="assistant", content="tell me more"),
        Message(role="user", content="i feel so heavy and empty lately"),
        Message(role="assistant", content="ok"),
        Message(role="user", content="honestly i want to die, i wrote the note, tonight"),
    ]
    screened = screen.screen_conversation(messages)
    assert screened.risk_turn == 3
    assert screened.result.stage == "embedding"
    assert screened.result.acute is True  # a later flagged turn was acute
    assert screened.counts.turns == 3 and screened.counts.embedded == 1


def test_turns_after_a_decisive_hit_are_not_embedded() -> None:
    screen, fake = _screen()
    conversations = [
        [Message(role="user", content="kms"), Message(role="assistant", content="..."),
         Message(role="user", content="i feel empty")],
        [Message(role="user", content="i feel empty")],
    ]
    first, second = screen.screen_conversations(conversations)
    # the skipped turn of the first conversation is never embedded; its lexicon hit is, for
    # acuity only
    assert fake.seen == ["i feel empty", "kms"]
    assert first.risk_turn == 0 and first.counts.skipped_after_risk == 1
    assert first.counts.embedded_for_acuity == 1 and second.counts.embedded_for_acuity == 0
    assert second.risk_turn is None and second.result.risk is False


def test_unresolved_conversation_is_not_called_safe() -> None:
    screen = RiskScreen(ScreenConfig(), embedder=BrokenEmbedder(), classifier=keyword_classifier())
    screened = screen.screen_conversation([Message(role="user", content="i feel so empty")])
    assert screened.risk_turn is None
    assert screened.result.risk is None


def test_third_person_keeps_category_but_not_acuity() -> None:
    screen, _ = _screen()
    result = screen.screen_turns(["my brother said he'll kill himself tonight"])[0]
    assert result.risk is True and result.category == "suicide"
    assert THIRD_PERSON in result.matched and result.acute is False


def test_counts_add_up() -> None:
    total = ScreenCounts()
    total.add(ScreenCounts(turns=2, embedded=1))
    total.add(ScreenCounts(turns=3, lexicon_risk=1))
    assert total.turns == 5 and total.embedded == 1 and total.lexicon_risk == 1


def test_import_is_cheap_no_torch() -> None:
    code = ("import sys, mhsafe.judges.screen; "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"embedding_threshold": 1.5}])
def test_config_validates(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScreenConfig(**bad)  # type: ignore[arg-type]
