"""The layers in order, for one request: assess, crisis mode, upstream, check, support, log.

Order matters and is the design:

1. assess the latest user turn (screen + the proxy's cues, protocol-aware);
2. update crisis mode (enter on acute risk, exit only by the configured rule);
3. in crisis mode, and for a request for a method, the reply is ours alone -- the model is not
   asked, so nothing it could say (a method, a made-up number, small talk) can reach someone
   with a plan;
4. otherwise ask the upstream, check its reply (block harm, strip unverified numbers), and, when
   risk was found outside an exercise or the screen could not decide (fail closed), hold the
   reply to the intervention policy: a reply that already meets it is left alone, any other
   gets the support paragraph. Inside an exercise non-acute risk never gets a script; risk
   named in words gets one safety question;
5. log the turn with every decision, in the audit's format.

The *safety decision* (``GuardedTurn.safety``: level, rule, standard, response) is a function
of the conversation alone -- never of the upstream's text, a clock or a random draw -- so the
same conversation gets the same decision on every epoch. Only whether support had to be added
depends on what the model said, and the delivered reply meets the policy either way.

An upstream failure never yields an unchecked reply: with risk found the user gets the crisis
support alone (configurable), otherwise :class:`UpstreamError` reaches the client as a 502.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mhsafe.judges import CrisisLineRegistry, InterventionPolicy, detect_crisis_support, load_policy
from mhsafe.judges.screen import RiskScreen
from mhsafe.schema import Message

from ._assess import Assessment, Assessor
from ._config import SafeguardConfig
from ._decision import SafeguardDecision
from ._log import ConversationLog
from ._output import check_reply
from ._protocol import load_protocol_cues
from ._responses import fill, load_responses
from ._state import (
    CrisisModes,
    CrisisState,
    conversation_id,
    conversation_key,
    given_id,
    history_key,
    opening_key,
)
from ._upstream import Upstream, UpstreamError


@dataclass
class GuardedTurn:
    """What the proxy answers for one request, and why."""

    conversation_id: str
    turn: int
    reply: str
    exercise: str | None
    locale: str
    crisis_mode: bool
    upstream_called: bool
    decisions: list[SafeguardDecision] = field(default_factory=list)
    #: the deterministic safety decision (rule ids only): level, rule, standard, response
    safety: dict[str, str | None] = field(default_factory=dict)


class Safeguard:
    """The layered safeguard around one upstream model."""

    def __init__(
        self,
        upstream: Upstream,
        config: SafeguardConfig | None = None,
        *,
        screen: RiskScreen | None = None,
        registry: CrisisLineRegistry | None = None,
        log: ConversationLog | None = None,
    ) -> None:
        self.upstream = upstream
        self.config = config or SafeguardConfig()
        self.cues = load_protocol_cues()
        self.assessor = Assessor(self.config.input_screen, self.cues, screen)
        self.modes = CrisisModes(self.config.crisis.max_conversations)
        self.registry = registry
        self.policy: InterventionPolicy = load_policy(self.config.crisis.policy_path)
        if log is None and self.config.log.path is not None:
            log = ConversationLog(self.config.log.path, redact_text=self.config.log.redact)
        self.log = log

    async def respond(
        self,
        messages: Sequence[Message],
        *,
        user: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        client: str | None = None,
    ) -> GuardedTurn:
        """Guard one chat-completion request; raises :class:`UpstreamError` (after logging)
        when no checked reply can be given. ``client``: the authenticated client's tag (the
        app passes it); crisis state is scoped to it (see :mod:`._state`)."""
        began = time.perf_counter()
        cfg = self.config
        meta = dict(metadata or {})
        user_turns = [m.content for m in messages if m.role == "user"]
        turn = len(user_turns)
        scope = client or "open"
        given = given_id(user, meta)
        conv = conversation_id(messages, user, meta, client)
        locale = str(meta.get("locale") or cfg.locale).upper()
        exercise = self.cues.exercise_for(messages, meta) if cfg.protocol.enabled else None
        latest = messages[-1].content if messages and messages[-1].role == "user" else None
        result = GuardedTurn(conv, turn, "", exercise, locale, False, False)
        prefix = list(messages[:-1]) if latest is not None else list(messages)
        opening = opening_key(messages)
        record = (self.modes.get(conversation_key(scope, given))
                  if given is not None and cfg.crisis.enabled else None)
        state = await self._state(scope, given, exercise, prefix, opening, record)
        if latest is not None:
            assessment = await self.assessor.assess(latest, turn=turn, exercise=exercise)
        else:
            assessment = Assessment("none", "no_user_turn")
        result.decisions.extend(assessment.decisions)
        if cfg.crisis.enabled:
            entered = self._advance(state, assessment, latest or "", turn, result.decisions)
            if given is not None:
                began_as = record.opening if record is not None else opening
                self.modes.put(conversation_key(scope, given), replace(state, opening=began_as))
            result.crisis_mode = state.active
            if state.active or assessment.level == "method":
                self._own_reply(result, assessment, entered, state)
                self._remember(scope, given, exercise, messages, result, state)
                self._write(result, messages, began)
                return result
        await self._model_reply(result, messages, assessment, max_tokens, began)
        self._remember(scope, given, exercise, messages, result, state)
        self._write(result, messages, began)
        return result

    def _remember(
        self,
        scope: str,
        given: str | None,
        exercise: str | None,
        messages: Sequence[Message],
        result: GuardedTurn,
        state: CrisisState,
    ) -> None:
        """Store the state under the history the conversation's next request will carry:
        this one plus the reply the proxy delivered."""
        if not self.config.crisis.enabled:
            return
        after = [*messages, Message(role="assistant", content=result.reply)]
        self.modes.put(history_key(scope, given, exercise, after), state)

    def _own_reply(
        self, result: GuardedTurn, assessment: Assessment, entered: bool, state: CrisisState
    ) -> None:
        """Crisis mode or a method request: the reply is the proxy's, from the registry."""
        turn, templates = result.turn, load_responses()
        if result.exercise is not None and (entered or assessment.level == "method"):
            result.decisions.append(SafeguardDecision(
                layer="protocol", action="step_out", reason=assessment.reason, turn=turn,
                detail={"exercise": result.exercise}))
        if state.active:
            template = templates.acute if entered else templates.crisis_mode
            reason = state.reason or "crisis_mode"
            response = "crisis_reply"
        else:
            template, reason, response = templates.method_decline, assessment.reason, "decline"
        result.reply = fill(template, result.locale, self.registry)
        result.decisions.append(SafeguardDecision(
            layer="crisis", action="crisis_reply", reason=reason, turn=turn))
        result.safety = _safety(assessment, "acute", response, state.active)

    # -- steps --------------------------------------------------------------------------------

    async def _state(
        self,
        scope: str,
        given: str | None,
        exercise: str | None,
        prefix: Sequence[Message],
        opening: str,
        record: CrisisState | None,
    ) -> CrisisState:
        """The conversation's crisis state before its latest turn.

        Known history: the state stored for exactly that history. Unknown (a new conversation,
        an evicted one, a restart, a client that edits or trims its history): rebuilt from the
        user turns it carries; and when the request names its conversation (``record``: that
        id's latest state), does not open as the conversation did, and the conversation is in
        crisis mode, it stays in crisis mode -- the turn that put it there scrolled out, and
        only the conversation's own turns take it out."""
        if not self.config.crisis.enabled:
            return CrisisState()
        known = self.modes.get(history_key(scope, given, exercise, prefix))
        if known is not None:
            return replace(known, opening=None)
        state = CrisisState()
        earlier = [m.content for m in prefix if m.role == "user"]
        if earlier and self.config.input_screen.enabled:
            screened = await self.assessor.screen_async(earlier)
            for index, (text, result) in enumerate(zip(earlier, screened, strict=True),
                                                   start=1):
                past = self.assessor.combine(text, result, turn=index, exercise=exercise)
                self._advance(state, past, text, index, [])
        if record is not None and record.active and not state.active and (
                record.opening != opening):
            return replace(record, opening=None)
        return state

    def _advance(
        self,
        state: CrisisState,
        assessment: Assessment,
        text: str,
        turn: int,
        decisions: list[SafeguardDecision],
    ) -> bool:
        """Apply one turn to crisis mode; True when this turn entered it."""
        rule = self.config.crisis.exit_rule
        if state.active:
            clear = assessment.level == "none"
            state.clear_turns = state.clear_turns + 1 if clear else 0
            said_safe = self.cues.states_safe(text) if clear else []
            if rule == "states_safe" and said_safe:
                reason = said_safe[0]
            elif rule == "clear_turns" and state.clear_turns >= self.config.crisis.exit_clear_turns:
                reason = f"clear_turns:{state.clear_turns}"
            else:
                decisions.append(SafeguardDecision(
                    layer="crisis", action="stay_in_crisis_mode", reason=rule, turn=turn,
                    detail={"since_turn": state.since_turn}))
                return False
            state.active, state.since_turn, state.reason, state.clear_turns = False, None, None, 0
            decisions.append(SafeguardDecision(
                layer="crisis", action="exit_crisis_mode", reason=reason, turn=turn))
        if assessment.level == "acute":
            state.active, state.since_turn, state.reason = True, turn, assessment.reason
            state.clear_turns = 0
            decisions.append(SafeguardDecision(
                layer="crisis", action="enter_crisis_mode", reason=assessment.reason, turn=turn))
            return True
        return False

    async def _model_reply(
        self,
        result: GuardedTurn,
        messages: Sequence[Message],
        assessment: Assessment,
        max_tokens: int | None,
        began: float,
    ) -> None:
        cfg = self.config
        turn, locale, exercise = result.turn, result.locale, result.exercise
        level = assessment.level
        if level == "unresolved" and cfg.input_screen.on_unresolved == "error":
            self._write(result, messages, began, error="screen_unresolved")
            raise UpstreamError("screen_unresolved", 503)
        in_protocol = exercise is not None and level == "risk" and cfg.crisis.enabled
        needs_support = cfg.crisis.enabled and level in ("risk", "unresolved", "concern") and (
            not in_protocol)
        # unresolved: the acuity is unknown, so the acute rule (fail closed); a concern is held
        # to the non-acute rule and answered with a question, never a script
        standard_acute = level == "unresolved" or (
            level == "risk" and cfg.crisis.support_standard == "acute")
        checkin = in_protocol and cfg.protocol.checkin and assessment.explicit
        response = ("support_required" if needs_support else
                    "checkin" if checkin else "stay_in_protocol" if in_protocol else "pass")
        standard = ("acute" if standard_acute else "non_acute") if needs_support else None
        result.safety = _safety(assessment, standard, response, False)
        budget = min(max_tokens or cfg.max_tokens, cfg.max_tokens)
        result.upstream_called = True
        try:
            raw = await self.upstream.complete(messages, max_tokens=budget)
        except UpstreamError as exc:
            result.decisions.append(SafeguardDecision(
                layer="upstream", action="error", reason=exc.kind, turn=turn))
            if needs_support and cfg.crisis.reply_on_upstream_failure:
                result.reply = fill(load_responses().support_only, locale, self.registry)
                result.decisions.append(SafeguardDecision(
                    layer="crisis", action="crisis_reply", reason="upstream_failed", turn=turn))
                return
            self._write(result, messages, began, error=exc.kind)
            raise
        checked = check_reply(raw, turn=turn, locale=locale, config=cfg.output_check,
                              registry=self.registry)
        result.decisions.extend(checked.decisions)
        reply = checked.text
        if needs_support:
            found = detect_crisis_support(reply)
            kinds = ",".join(found.kinds)
            if self.policy.satisfied(found, standard_acute):
                reason = "harm_block_support" if checked.blocked else "model_gave_support"
                result.decisions.append(SafeguardDecision(
                    layer="crisis", action="pass", reason=reason, turn=turn,
                    detail={"standard": standard, "kinds": kinds}))
            else:
                template = load_responses().concern if level == "concern" else (
                    load_responses().support)
                support = fill(template, locale, self.registry)
                reply = f"{reply.rstrip()}\n\n{support}"
                result.decisions.append(SafeguardDecision(
                    layer="crisis", action="add_support", reason=assessment.reason, turn=turn,
                    detail={"standard": standard, "kinds": kinds}))
        elif in_protocol:
            result.decisions.append(SafeguardDecision(
                layer="protocol", action="stay_in_protocol", reason=f"exercise:{exercise}",
                turn=turn))
            if checkin and not checked.blocked:
                reply = f"{reply.rstrip()}\n\n{load_responses().exercise_checkin}"
                result.decisions.append(SafeguardDecision(
                    layer="protocol", action="checkin", reason=assessment.reason, turn=turn))
        result.reply = reply.strip()

    def _write(
        self,
        result: GuardedTurn,
        messages: Sequence[Message],
        began: float,
        error: str | None = None,
    ) -> None:
        if self.log is None:
            return
        self.log.write(
            conversation_id=result.conversation_id,
            messages=messages,
            reply=None if error else result.reply,
            decisions=result.decisions,
            metadata={
                "conversation_id": result.conversation_id,
                "turn": result.turn,
                "locale": result.locale,
                "exercise": result.exercise,
                "crisis_mode": result.crisis_mode,
                "safety": result.safety,
                "upstream": self.upstream.name,
                "upstream_called": result.upstream_called,
                "error": error,
                "latency_ms": round((time.perf_counter() - began) * 1000, 2),
                "layers": self.config.layers(),
            },
        )


def _safety(
    assessment: Assessment, standard: str | None, response: str, crisis_mode: bool
) -> dict[str, str | None]:
    """The turn's safety decision, by rule id: what was found and what the reply must do."""
    return {"level": assessment.level, "rule": assessment.reason, "standard": standard,
            "response": response, "crisis_mode": "on" if crisis_mode else "off"}


__all__ = ["GuardedTurn", "Safeguard"]
