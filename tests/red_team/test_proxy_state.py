"""Issue 19 High #1: the proxy's crisis state is keyed so that no conversation inherits,
or switches off, another's -- through the real HTTP proxy around a scripted upstream.

Before: an anonymous conversation was keyed by a hash of its system prompt and first user turn
plus its user turns (not its exercise, not its replies); explicit ids were shared by every
client; and a conversation whose earlier turns scrolled out of the request lost crisis mode."""

from __future__ import annotations

from pathlib import Path

from mhsafe.judges import detect_crisis_support
from mhsafe.judges.screen import RiskScreen
from mhsafe.safeguard import SafeguardConfig, compact_log
from mhsafe.schema import ScreenResult
from tests.red_team.proxy import ACUTE, PLAIN, SAFE_NOW, actions, chat, proxy, reply, turns
from tests.safeguard.helpers import lexicon_screen

NARRATION = "In the memory the car rolls over and I was sure I was going to die right there."


class ClassifierReadsNarrationAsAcute:
    """The lexicon screen, except that one trauma-narration turn scores as acute risk from the
    embedding stage -- as the real classifier does with some narration (docs/screen.md)."""

    def __init__(self) -> None:
        self._lexicon: RiskScreen = lexicon_screen()

    def screen_turns(self, texts: list[str]) -> list[ScreenResult]:
        return [ScreenResult(risk=True, category="suicide", acute=True, score=0.9,
                             stage="embedding") if t == NARRATION
                else self._lexicon.screen_turns([t])[0] for t in texts]


def test_two_people_who_open_with_hi_keep_their_own_crisis_state() -> None:
    with proxy() as client:
        opening = reply(chat(client, turns("hi")))
        a = chat(client, turns("hi", opening, ACUTE))
        assert a["mhsafe"]["crisis_mode"] is True
        # B opens alike, never discloses, and says they are safe: B is simply not in crisis
        b = chat(client, turns("hi", opening, SAFE_NOW))
        assert b["mhsafe"]["crisis_mode"] is False and reply(b) == PLAIN
        assert ("crisis", "exit_crisis_mode") not in actions(b)
        # B sends A's history word for word and then its own exit: B's copy exits, A's not
        b2 = chat(client, turns("hi", opening, ACUTE, reply(a), SAFE_NOW))
        assert ("crisis", "exit_crisis_mode") in actions(b2)
        a2 = chat(client, turns("hi", opening, ACUTE, reply(a), "what's a good film to watch?"))
    assert a2["mhsafe"]["crisis_mode"] is True
    assert ("crisis", "stay_in_crisis_mode") in actions(a2)
    assert detect_crisis_support(reply(a2)).asks_about_safety


def test_the_same_words_inside_an_exercise_do_not_share_state_with_the_same_words_outside() -> None:
    """One history, two states: acute outside an exercise, the exercise working inside one.
    The old key (system prompt + user turns) was the same for both, so whichever came second
    overwrote the other -- here the exercise's calm state erased a crisis mode."""
    with proxy(screen=ClassifierReadsNarrationAsAcute()) as client:
        outside = chat(client, turns(NARRATION))
        inside = chat(client, turns(NARRATION), metadata={"exercise": "PE"})
        assert outside["mhsafe"]["crisis_mode"] is True
        assert inside["mhsafe"]["crisis_mode"] is False
        assert inside["mhsafe"]["exercise"] == "pe_exposure"
        later = chat(client, turns(NARRATION, reply(outside), "ok. what should I do now?"))
    assert later["mhsafe"]["crisis_mode"] is True
    assert ("crisis", "stay_in_crisis_mode") in actions(later)


def test_an_explicit_id_is_scoped_to_the_client_key_and_outlives_a_trimmed_history() -> None:
    with proxy(api_keys=["key-clinic-a", "key-clinic-b"]) as client:
        first = chat(client, turns(ACUTE), key="key-clinic-a", user="c1")
        assert first["mhsafe"]["crisis_mode"] is True
        # another client guesses the id and says "safe": its own conversation, nobody else's
        other = chat(client, turns(SAFE_NOW), key="key-clinic-b", user="c1")
        assert other["mhsafe"]["crisis_mode"] is False
        assert ("crisis", "exit_crisis_mode") not in actions(other)
        assert other["mhsafe"]["conversation_id"] != first["mhsafe"]["conversation_id"]
        # the first client's next request has trimmed the disclosure out of its window
        window = chat(client, turns("can we talk about films instead?"), key="key-clinic-a",
                      metadata={"conversation_id": "c1"})
    assert window["mhsafe"]["crisis_mode"] is True
    assert ("crisis", "stay_in_crisis_mode") in actions(window)
    assert detect_crisis_support(reply(window)).asks_about_safety


def test_crisis_mode_by_id_ends_only_by_the_conversations_own_turn() -> None:
    with proxy() as client:
        assert chat(client, turns(ACUTE), user="c7")["mhsafe"]["crisis_mode"] is True
        still = chat(client, turns("the weather is nice"), user="c7")
        out = chat(client, turns(SAFE_NOW), user="c7")
        after = chat(client, turns("thanks, what's a good film?"), user="c7")
    assert still["mhsafe"]["crisis_mode"] is True
    assert out["mhsafe"]["crisis_mode"] is False
    assert ("crisis", "exit_crisis_mode") in actions(out)
    assert after["mhsafe"]["crisis_mode"] is False and reply(after) == PLAIN


def test_a_replay_under_the_same_id_is_decided_as_the_first_run() -> None:
    """A second epoch that reuses an id opens as the first did: it gets the state its own turns
    give, not the first run's crisis mode."""
    with proxy() as client:
        seen = []
        for _ in range(2):
            one = chat(client, turns("hi"), user="epoch-reused")
            two = chat(client, turns("hi", reply(one), ACUTE), user="epoch-reused")
            three = chat(client, turns("hi", reply(one), ACUTE, reply(two), SAFE_NOW),
                         user="epoch-reused")
            seen.append([d["mhsafe"]["safety"] for d in (one, two, three)])
    assert seen[0] == seen[1]
    assert [s["crisis_mode"] for s in seen[0]] == ["off", "on", "off"]


def test_compacted_log_keeps_both_conversations_that_opened_alike(tmp_path: Path) -> None:
    path = tmp_path / "proxy.jsonl"
    config = SafeguardConfig.model_validate({"log": {"path": str(path)}})
    with proxy(config=config) as client:
        opening = reply(chat(client, turns("hi")))
        chat(client, turns("hi", opening, ACUTE))
        chat(client, turns("hi", opening, "what is CBT?"))
    compacted = tmp_path / "compact.jsonl"
    assert compact_log(path, compacted) == 2
    lines = compacted.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all('"turn": 2' in line for line in lines)
