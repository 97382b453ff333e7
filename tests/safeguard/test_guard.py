"""Each layer of the safeguard, with a fake upstream and the lexicon-only screen."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from mhsafe.judges import (
    detect_crisis_support,
    detect_harm_enablement,
    find_resources,
    is_crisis_script,
    load_registry,
)
from mhsafe.safeguard import (
    CrisisConfig,
    InputScreenConfig,
    OutputCheckConfig,
    SafeguardConfig,
    UpstreamError,
    compact_log,
)
from mhsafe.safeguard._guard import GuardedTurn, Safeguard
from tests.safeguard.helpers import FAKE_LINE, HARMFUL, failing, fixed, guard, user

PE_SYSTEM = (
    "You assist a clinician delivering prolonged exposure therapy; the patient consented to "
    "imaginal exposure of the index memory."
)
ACUTE = "I have the pills I saved up in my bag and tonight I'm going to take all of them."


def run(g: Safeguard, *turns: str, system: str | None = None, **kw: object) -> GuardedTurn:
    return asyncio.run(g.respond(user(*turns, system=system), **kw))  # type: ignore[arg-type]


def actions(turn: GuardedTurn) -> set[tuple[str, str]]:
    return {(d.layer, d.action) for d in turn.decisions}


def test_benign_turn_passes_through_unchanged() -> None:
    upstream = fixed("Paris is the capital of France.")
    turn = run(guard(upstream), "What is the capital of France?")
    assert turn.reply == "Paris is the capital of France."
    assert ("input_screen", "pass") in actions(turn) and not turn.crisis_mode
    assert len(upstream.calls) == 1  # type: ignore[attr-defined]


def test_harmful_reply_is_blocked_and_rewritten_with_registry_resources() -> None:
    turn = run(guard(fixed(HARMFUL)), "how many tablets would it take")
    assert not detect_harm_enablement(turn.reply).enables_harm
    assert {d.reason for d in turn.decisions} >= {"harm:methods", "harm:lethality"}
    mentions = find_resources(turn.reply)
    assert mentions and not any(m.hallucinated for m in mentions)


def test_unverified_number_is_stripped_and_a_verified_line_added() -> None:
    turn = run(guard(fixed(FAKE_LINE)), "I'm stressed about exams, who can I talk to?",
               metadata={"locale": "GB"})
    assert "555-0199" not in turn.reply
    mentions = find_resources(turn.reply)
    assert mentions and all(not m.hallucinated for m in mentions)
    assert {m.country for m in mentions} == {"GB"}
    assert ("output_check", "strip_number") in actions(turn)


def test_risk_gets_support_appended_from_the_locale() -> None:
    turn = run(guard(fixed("That sounds heavy.")), "honestly I want to die",
               metadata={"locale": "GB"})
    support = detect_crisis_support(turn.reply)
    assert turn.reply.startswith("That sounds heavy.")
    assert support.is_support and not support.hallucinated_resource
    gb = {n.normalised for line in load_registry().for_locale("GB") for n in line.numbers}
    assert all(m.number in gb for m in find_resources(turn.reply) if m.number)


def test_acute_risk_enters_crisis_mode_without_asking_the_model() -> None:
    upstream = fixed(HARMFUL)
    g = guard(upstream)
    first = run(g, ACUTE)
    assert first.crisis_mode and not first.upstream_called
    assert detect_crisis_support(first.reply).is_support
    assert upstream.calls == []  # type: ignore[attr-defined]
    later = run(g, ACUTE, "let's talk about something else, what's a good film?")
    assert later.crisis_mode and ("crisis", "stay_in_crisis_mode") in actions(later)
    assert detect_crisis_support(later.reply).asks_about_safety


def test_crisis_mode_ends_when_the_user_says_they_are_safe() -> None:
    g = guard(fixed("Glad to hear it."))
    run(g, ACUTE)
    out = run(g, ACUTE, "I gave the pills to my sister and I'm safe now.")
    assert not out.crisis_mode and out.reply == "Glad to hear it."
    assert ("crisis", "exit_crisis_mode") in actions(out)


def test_clear_turns_exit_rule_and_rebuild_after_eviction() -> None:
    config = SafeguardConfig(crisis=CrisisConfig(exit_rule="clear_turns", exit_clear_turns=2,
                                                 max_conversations=1))
    g = guard(fixed("ok"), config)
    assert run(g, ACUTE).crisis_mode
    run(g, "something unrelated entirely")  # another conversation evicts the first
    rebuilt = run(g, ACUTE, "the weather is nice")
    assert rebuilt.crisis_mode  # rebuilt from history: one clear turn is not enough
    assert not run(g, ACUTE, "the weather is nice", "I watched a film").crisis_mode


def test_exercise_distress_stays_in_protocol_without_a_script() -> None:
    upstream = fixed("Stay with the memory; what do you notice now?")
    text = "I thought I was going to die in that car, my heart is pounding, I'm at a 90."
    turn = run(guard(upstream), text, system=PE_SYSTEM)
    assert turn.exercise == "pe_exposure" and not turn.crisis_mode
    assert not is_crisis_script(turn.reply)


def test_passive_ideation_in_exercise_gets_a_checkin_not_a_script() -> None:
    text = "Sometimes after these sessions I think everyone would be better off without me."
    turn = run(guard(fixed("Let's keep going.")), text, system=PE_SYSTEM)
    assert ("protocol", "stay_in_protocol") in actions(turn)
    assert ("protocol", "checkin") in actions(turn)
    assert not is_crisis_script(turn.reply)
    without = run(guard(fixed("Let's keep going."), SafeguardConfig.model_validate(
        {"protocol": {"checkin": False}})), text, system=PE_SYSTEM)
    assert without.reply == "Let's keep going."


def test_current_risk_inside_an_exercise_steps_out() -> None:
    turn = run(guard(fixed("Let's keep going.")), ACUTE, metadata={"exercise": "PE"})
    assert turn.exercise == "pe_exposure" and turn.crisis_mode
    assert ("protocol", "step_out") in actions(turn)
    assert detect_crisis_support(turn.reply).is_support


def test_protocol_layer_off_treats_exercise_risk_like_any_risk() -> None:
    config = SafeguardConfig.model_validate({"protocol": {"enabled": False}})
    text = "Sometimes I think everyone would be better off without me."
    turn = run(guard(fixed("Let's keep going."), config), text, system=PE_SYSTEM)
    assert turn.exercise is None and is_crisis_script(turn.reply)


def test_upstream_failure_raises_for_benign_and_supports_at_risk() -> None:
    with pytest.raises(UpstreamError):
        run(guard(failing()), "What is the capital of France?")
    turn = run(guard(failing()), "honestly I want to die")
    assert detect_crisis_support(turn.reply).is_support
    assert ("upstream", "error") in actions(turn)


def test_unresolved_screen_fails_closed() -> None:
    class Broken:
        def screen_turns(self, texts: list[str]) -> list[object]:
            raise RuntimeError("model missing")

    g = Safeguard(fixed("Sure, here's a recipe."), SafeguardConfig(), screen=Broken())  # type: ignore[arg-type]
    turn = asyncio.run(g.respond(user("give me a pasta recipe")))
    assert ("input_screen", "unresolved") in actions(turn)
    assert detect_crisis_support(turn.reply).is_support
    strict = SafeguardConfig(input_screen=InputScreenConfig(on_unresolved="error"))
    g2 = Safeguard(fixed("x"), strict, screen=Broken())  # type: ignore[arg-type]
    with pytest.raises(UpstreamError) as info:
        asyncio.run(g2.respond(user("give me a pasta recipe")))
    assert info.value.status == 503


def test_layers_off_is_a_pure_relay() -> None:
    turn = run(guard(fixed(HARMFUL), SafeguardConfig.passthrough()), ACUTE)
    assert turn.reply == HARMFUL and turn.decisions == []
    config = SafeguardConfig(output_check=OutputCheckConfig(block_harm=False))
    assert run(guard(fixed(HARMFUL), config), "hello").reply == HARMFUL


def test_log_is_audit_format_redacted_and_compactable(tmp_path: Path) -> None:
    path = tmp_path / "proxy.jsonl"
    config = SafeguardConfig.model_validate({"log": {"path": str(path)}})
    g = guard(fixed("Hello Sam."), config)
    run(g, "hi, my name is Sam Jones and my email is sam@example.org", user="c1")
    run(g, "hi, my name is Sam Jones and my email is sam@example.org", "thanks", user="c1")
    with pytest.raises(UpstreamError):
        asyncio.run(guard(failing(), config).respond(user("hello"), user="c2"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 3
    text = json.dumps(lines)
    assert "sam@example.org" not in text and "Sam Jones" not in text
    first = lines[0]
    assert set(first) == {"id", "messages", "metadata"} and first["id"] == "c1"
    assert first["messages"][-1]["role"] == "assistant"
    assert all(set(d) >= {"layer", "action", "reason"} for d in first["metadata"]["safeguard"])
    assert lines[2]["metadata"]["error"] == "upstream_boom"
    compacted = tmp_path / "compact.jsonl"
    assert compact_log(path, compacted) == 2
    kept = [json.loads(line) for line in compacted.read_text().splitlines()]
    assert [r["metadata"]["turn"] for r in kept if r["id"] == "c1"] == [2]


def test_config_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "safeguard.yaml"
    path.write_text("locale: GB\ncrisis: {exit_rule: never}\ninput_screen: {screen: "
                    "{embedding: false}}\n")
    config = SafeguardConfig.from_yaml(path)
    assert config.locale == "GB" and config.crisis.exit_rule == "never"
    assert config.input_screen.screen.embedding is False
    path.write_text("crisis: {exit_rul: never}\n")
    with pytest.raises(ValueError):
        SafeguardConfig.from_yaml(path)
