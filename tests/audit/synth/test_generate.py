"""Synthetic logs: determinism, prevalence, record schema, and label consistency."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from mhsafe.audit.synth import _templates as templates
from mhsafe.audit.synth import generate, load_registry
from mhsafe.schema import RISK_CATEGORIES, Transcript

LABEL_KEYS = {"risk", "category", "acute", "risk_turn", "intervention", "hallucinated_number",
              "over_trigger", "hard_negative", "third_person"}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return list(generate(3000, 0.2, seed=11))


def _digits(text: str) -> set[str]:
    found = set()
    for m in re.finditer(r"\d[\d\s\-]{1,14}\d|\d{3,}", text):
        d = re.sub(r"\D", "", m.group(0))
        found |= {d, d[1:] if len(d) == 11 and d.startswith("1") else d}
    return found


def test_same_seed_same_records_and_prefix_stable() -> None:
    a = list(generate(40, 0.3, seed=5))
    assert a == list(generate(40, 0.3, seed=5))
    assert a[:10] == list(generate(10, 0.3, seed=5))
    assert a != list(generate(40, 0.3, seed=6))


def test_prevalence_within_sampling_tolerance() -> None:
    n, p = 20000, 0.02
    k = sum(r["labels"]["risk"] for r in generate(n, p, seed=1))
    assert abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def test_zero_and_full_prevalence() -> None:
    assert not any(r["labels"]["risk"] for r in generate(200, 0.0, seed=2))
    assert all(r["labels"]["risk"] for r in generate(200, 1.0, seed=2))


@pytest.mark.parametrize(("n", "p"), [(-1, 0.1), (5, 1.5)])
def test_bad_arguments_raise(n: int, p: float) -> None:
    with pytest.raises(ValueError):
        list(generate(n, p, seed=0))


def test_records_have_the_audit_input_shape(records: list[dict[str, Any]]) -> None:
    ids = set()
    for r in records:
        assert set(r) == {"id", "messages", "metadata", "labels"}
        Transcript(id=r["id"], messages=r["messages"], metadata=r["metadata"])
        ids.add(r["id"])
        turns = [m for m in r["messages"] if m["role"] != "system"]
        assert 2 <= len(turns) <= 20
        assert [m["role"] for m in turns] == ["user", "assistant"] * (len(turns) // 2)
        assert set(r["labels"]) == LABEL_KEYS
        assert r["labels"]["category"] in RISK_CATEGORIES
        assert "labels" not in r["metadata"] and "risk" not in r["metadata"]
    assert len(ids) == len(records)
    lengths = {len(r["messages"]) for r in records}
    assert len(lengths) >= 10


def test_risk_labels_are_consistent(records: list[dict[str, Any]]) -> None:
    risky = [r for r in records if r["labels"]["risk"]]
    assert {r["labels"]["category"] for r in risky} == set(RISK_CATEGORIES) - {"none"}
    for r in risky:
        labels = r["labels"]
        turn = labels["risk_turn"]
        assert r["messages"][turn]["role"] == "user"
        assert labels["intervention"] in ("given", "missed")
        assert not labels["over_trigger"] and not labels["hard_negative"]
        assert not (labels["third_person"] and labels["acute"])
    for r in records:
        if not r["labels"]["risk"]:
            labels = r["labels"]
            assert labels["category"] == "none" and labels["risk_turn"] is None
            assert labels["intervention"] is None and not labels["acute"]


def test_given_interventions_cite_registry_numbers(records: list[dict[str, Any]]) -> None:
    registry = load_registry()
    active = {d for lines in registry.lines.values() for line in lines
              for d in templates._digits(line.number)}
    active |= {d for n in registry.emergency.values() for d in templates._digits(n)}
    given = [r for r in records if r["labels"]["intervention"] == "given"]
    assert given
    for r in given:
        reply = r["messages"][r["labels"]["risk_turn"] + 1]
        assert reply["role"] == "assistant"
        assert _digits(reply["content"]) & active


def test_hallucinated_only_replies_offer_no_real_line(records: list[dict[str, Any]]) -> None:
    registry = load_registry()
    active = {d for lines in registry.lines.values() for line in lines
              for d in templates._digits(line.number)}
    fake_only = [r for r in records if r["labels"]["hallucinated_number"]
                 and r["labels"]["intervention"] == "missed"]
    assert fake_only
    for r in fake_only:
        reply = r["messages"][r["labels"]["risk_turn"] + 1]["content"]
        assert _digits(reply)
        assert not (_digits(reply) & active)


def test_benign_variety_includes_hard_negatives_and_over_triggers(
    records: list[dict[str, Any]],
) -> None:
    benign = [r for r in records if not r["labels"]["risk"]]
    assert 0.05 < sum(r["labels"]["hard_negative"] for r in benign) / len(benign) < 0.2
    assert any(r["labels"]["over_trigger"] for r in benign)
    topics = {r["metadata"]["topic"] for r in records}
    assert {"stress", "sleep", "relationships", "work", "grief", "cbt_homework"} <= topics


def test_fake_numbers_never_collide_with_the_registry() -> None:
    import random

    registry = load_registry()
    rng = random.Random(3)
    for _ in range(500):
        number = templates.fake_number(rng, registry)
        assert not (templates._digits(number) & registry.known_digits)


def test_fallback_lines_when_registry_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The judges' registry is the one source; only an empty one falls back to the templates.
    templates.load_registry.cache_clear()
    monkeypatch.setattr(templates, "_registry_from_judges", lambda: templates.Registry({}, {}))
    try:
        registry = templates.load_registry()
        assert registry.source == "fallback"
        numbers = {line.number for lines in registry.lines.values() for line in lines}
        assert {"988", "116 123", "741741"} <= numbers
        assert list(generate(5, 1.0, seed=4))
    finally:
        templates.load_registry.cache_clear()
