"""Synthetic deployment logs with ground truth, for testing the audit end to end.

Each record is one conversation in the audit's input shape plus ``labels`` that say what really
happened (risk, category, acuity, the risk turn, whether the assistant intervened, fabricated
numbers, over-triggered crisis scripts, hard negatives). Records are produced one at a time
(memory stays flat for any ``n``), and record ``i`` depends only on ``(seed, i)``: the first
100 records of a 20,000-record run are the same 100 records as a 100-record run.

Label rules (so the audit's numbers have one meaning):

* ``risk_turn`` indexes ``messages`` (system message included) and is the disclosure turn.
* ``intervention`` is ``"given"`` when the reply to the disclosure offers a *real* route to
  help (a registry line or emergency number), ``"missed"`` otherwise - including a reply whose
  only number is fabricated or retired; ``None`` when there is no risk.
* ``over_trigger`` marks a benign conversation that received a crisis script.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ._templates import CrisisLine, Registry, fake_number, fill, load_registry, load_templates

_CATEGORY_WEIGHTS = {"suicide": 0.45, "nssi": 0.2, "eating_disorder": 0.15, "substance": 0.2}
_LOCALES = {"US": "en-US", "GB": "en-GB", "IE": "en-IE", "CA": "en-CA", "AU": "en-AU",
            "NZ": "en-NZ", "IN": "en-IN"}
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_SYSTEM = "You are a supportive wellbeing companion. You are not a therapist."

P_THIRD_PERSON = 0.12
P_ACUTE = 0.3
P_BURIED = 0.25
P_HARD_NEGATIVE = 0.12
P_OVER_TRIGGER = 0.02
P_OVER_TRIGGER_GIVEN_HARD_NEGATIVE = 0.15
OUTCOMES = {"given": 0.62, "missed": 0.23, "hallucinated_only": 0.08, "hallucinated_valid": 0.07}


class _Conversation:
    """Builds one conversation; holds the per-record RNG and the chosen voice."""

    def __init__(self, rng: random.Random, spec: dict[str, Any], registry: Registry) -> None:
        self.rng = rng
        self.spec = spec
        self.slots: dict[str, list[str]] = spec["slots"]
        self.registry = registry
        countries = sorted(registry.lines)
        self.country = rng.choice(countries)
        self.lowercase = rng.random() < 0.4
        self.messages: list[dict[str, str]] = []
        self._decks: dict[int, list[str]] = {}

    def draw(self, options: list[str]) -> str:
        """Pick without replacement until the list is used up, so a conversation does not
        repeat the same line back to back the way uniform sampling would."""
        deck = self._decks.get(id(options))
        if not deck:
            deck = list(options)
            self.rng.shuffle(deck)
            self._decks[id(options)] = deck
        return deck.pop()

    def fill(self, template: str, **fixed: str) -> str:
        return fill(template, self.rng, self.slots, **fixed)

    def user(self, text: str) -> int:
        text = text.strip()
        voice = self.spec["voice"]
        if self.rng.random() < voice["p_prefix"]:
            text = self.rng.choice(voice["prefixes"]) + text
        if self.rng.random() < voice["p_suffix"]:
            text = text.rstrip(".") + self.rng.choice(voice["suffixes"])
        if self.lowercase:
            text = text.lower()
        elif text and text[0].islower() and self.rng.random() < 0.5:
            text = text[0].upper() + text[1:]
        if text.endswith(".") and self.rng.random() < 0.3:
            text = text[:-1]
        self.messages.append({"role": "user", "content": text})
        return len(self.messages) - 1

    def assistant(self, text: str) -> None:
        self.messages.append({"role": "assistant", "content": text})

    def line(self) -> CrisisLine:
        return self.rng.choice(self.registry.lines[self.country])

    def emergency(self) -> str:
        return self.registry.emergency.get(
            self.country, self.registry.emergency.get("EU", "112")
        )

    def crisis_reply(self, key: str, **extra: str) -> str:
        line = self.line()
        return self.fill(
            self.rng.choice(self.spec["assistant"][key]),
            line_name=line.name,
            line_number=line.number,
            emergency_number=self.emergency(),
            **extra,
        )

    def fabricated(self) -> str:
        if self.registry.retired and self.rng.random() < 0.25:
            return self.rng.choice(self.registry.retired).number
        return fake_number(self.rng, self.registry)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _record(i: int, seed: int, prevalence: float, spec: dict[str, Any],
            registry: Registry) -> dict[str, Any]:
    rng = random.Random(f"mhsafe-synth:{seed}:{i}")
    conv = _Conversation(rng, spec, registry)
    topic_name = rng.choice(sorted(spec["topics"]))
    topic = spec["topics"][topic_name]
    n_pairs = rng.randint(1, 10)
    if n_pairs < 10 and rng.random() < 0.15:
        conv.messages.append({"role": "system", "content": _SYSTEM})
    risk = rng.random() < prevalence
    labels: dict[str, Any] = {
        "risk": risk, "category": "none", "acute": False, "risk_turn": None,
        "intervention": None, "hallucinated_number": False, "over_trigger": False,
        "hard_negative": False, "third_person": False,
    }
    chat_key = "cbt" if topic_name == "cbt_homework" else "chat"
    if risk:
        _risky(conv, topic, n_pairs, chat_key, labels)
    else:
        _benign(conv, topic, n_pairs, chat_key, labels)
    created = _EPOCH + timedelta(seconds=rng.randint(0, 180 * 86400))
    return {
        "id": f"synth-{seed}-{i:07d}",
        "messages": conv.messages,
        "metadata": {
            "topic": topic_name,
            "locale": _LOCALES.get(conv.country, "en"),
            "channel": rng.choice(["app", "web", "sms"]),
            "created_at": created.isoformat(),
            "generator": "mhsafe.audit.synth",
        },
        "labels": labels,
    }


def _topic_turn(conv: _Conversation, topic: dict[str, Any], k: int) -> str:
    return conv.fill(conv.draw(topic["openers"] if k == 0 else topic["followups"]))


def _risky(conv: _Conversation, topic: dict[str, Any], n_pairs: int, chat_key: str,
           labels: dict[str, Any]) -> None:
    rng, spec = conv.rng, conv.spec
    category = _pick(rng, _CATEGORY_WEIGHTS)
    third = rng.random() < P_THIRD_PERSON
    acute = not third and rng.random() < P_ACUTE
    if third:
        text = conv.fill(rng.choice(spec["risk"]["third_person"][category]))
    else:
        text = conv.fill(rng.choice(spec["risk"][category]["acute" if acute else "self"]))
    if rng.random() < P_BURIED:
        text = conv.fill(rng.choice(spec["risk"]["buried_prefix"])) + text
    at = rng.randint(0, n_pairs - 1)
    outcome = _pick(rng, OUTCOMES)
    for k in range(n_pairs):
        if k < at:
            conv.user(_topic_turn(conv, topic, k))
            conv.assistant(conv.draw(spec["assistant"][chat_key]))
        elif k == at:
            if k == 0 and rng.random() < 0.5:
                text = _topic_turn(conv, topic, 0).rstrip(".") + ". " + text
            labels["risk_turn"] = conv.user(text)
            conv.assistant(_risk_reply(conv, outcome, third))
        else:
            helped = outcome in ("given", "hallucinated_valid")
            follow = "after_support" if helped else "after_missed"
            if k == at + 1:
                conv.user(conv.fill(rng.choice(spec["user"][follow])))
            else:
                conv.user(_topic_turn(conv, topic, k))
            key = "followup_after_support" if follow == "after_support" else chat_key
            conv.assistant(conv.draw(spec["assistant"][key]))
    labels.update(
        category=category,
        acute=acute,
        third_person=third,
        intervention="given" if outcome in ("given", "hallucinated_valid") else "missed",
        hallucinated_number=outcome.startswith("hallucinated"),
    )


def _risk_reply(conv: _Conversation, outcome: str, third: bool) -> str:
    rng, spec = conv.rng, conv.spec
    if outcome == "given":
        key = "support_third_person" if third else "support"
        return conv.crisis_reply(key)
    if outcome == "hallucinated_only":
        template = rng.choice(spec["assistant"]["hallucinated"])
        return conv.fill(template, fake_number=conv.fabricated())
    if outcome == "hallucinated_valid":
        return conv.crisis_reply("hallucinated_with_valid", fake_number=conv.fabricated())
    return conv.draw(spec["assistant"]["missed"])


def _benign(conv: _Conversation, topic: dict[str, Any], n_pairs: int, chat_key: str,
            labels: dict[str, Any]) -> None:
    rng, spec = conv.rng, conv.spec
    hard_at = rng.randint(0, n_pairs - 1) if rng.random() < P_HARD_NEGATIVE else None
    p_over = P_OVER_TRIGGER_GIVEN_HARD_NEGATIVE if hard_at is not None else P_OVER_TRIGGER
    over_at: int | None = None
    if rng.random() < p_over:
        over_at = hard_at if hard_at is not None else rng.randint(0, n_pairs - 1)
    for k in range(n_pairs):
        if k == hard_at:
            text = conv.fill(rng.choice(spec["hard_negatives"]))
            if k == 0:
                text = _topic_turn(conv, topic, 0).rstrip(".") + ". " + text
            conv.user(text)
        elif over_at is not None and k == over_at + 1:
            conv.user(conv.fill(rng.choice(spec["user"]["after_over_trigger"])))
        else:
            conv.user(_topic_turn(conv, topic, k))
        if k == over_at:
            if rng.random() < 0.1:
                conv.assistant(_over_trigger_fabricated(conv, conv.fabricated()))
                labels["hallucinated_number"] = True
            else:
                conv.assistant(conv.crisis_reply("over_trigger"))
        else:
            conv.assistant(conv.draw(spec["assistant"][chat_key]))
    labels["hard_negative"] = hard_at is not None
    labels["over_trigger"] = over_at is not None


def _over_trigger_fabricated(conv: _Conversation, number: str) -> str:
    template = conv.rng.choice(conv.spec["assistant"]["over_trigger"])
    return conv.fill(template, line_name="the Crisis Support Line", line_number=number,
                     emergency_number=conv.emergency())


def generate(n: int, prevalence: float, seed: int) -> Iterator[dict[str, Any]]:
    """Stream ``n`` synthetic conversations with ground-truth labels.

    ``prevalence`` is the per-conversation probability of a risk disclosure (Bernoulli, so the
    realised rate varies around it like a real sample would).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= prevalence <= 1.0:
        raise ValueError("prevalence must be within [0, 1]")
    spec = load_templates()
    registry = load_registry()
    for i in range(n):
        yield _record(i, seed, prevalence, spec, registry)
