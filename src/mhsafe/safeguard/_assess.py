"""Layers 1 and 3 on one user turn: how much risk, and is it current?

The screen is the audit's (``mhsafe.judges.screen.RiskScreen``: one implementation, so the
proxy flags what an audit of its traffic would flag). On top of it sit the protocol cues of
current risk. Inside a consented exercise the screen's own acuity counts only through its strong
markers (plan, means, intent, harm in progress): its embedding classifier learned acuity from
general chat, where a trauma narrative ("I knew I was going to die") reads like danger.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Literal

import anyio
import anyio.to_thread
from pydantic import BaseModel, ConfigDict

from mhsafe.judges.screen import RiskScreen, ScreenConfig
from mhsafe.schema import Message, ScreenResult

from ._config import InputScreenConfig
from ._decision import SafeguardDecision
from ._protocol import ProtocolCues

log = logging.getLogger(__name__)

#: Screens that may run at once in worker threads (each may use several cores for its model).
_SCREEN_THREADS = 4

Level = Literal["none", "concern", "risk", "acute", "method", "unresolved"]

_LLM_INSTRUCTION = (
    "You assess one message written to a mental-health support chatbot. Answer with JSON: "
    '"risk" is true when the writer may be at risk of suicide, self-harm, disordered eating or '
    'substance harm; "acute" is true when they describe intent, a plan, means at hand, a time, '
    "or harm already under way."
)


class LLMRiskAssessment(BaseModel):
    """The optional LLM screen's one JSON object."""

    model_config = ConfigDict(extra="forbid")

    risk: bool
    acute: bool


@dataclass
class Assessment:
    """One turn's risk level with the decisions that led to it.

    ``explicit``: the risk is named in words (a current-risk cue, a method request, a lexicon
    self-risk rule, a disclosure cue), not only inferred by the classifier. Inside an exercise
    only explicit non-acute risk earns the one safety question: the classifier reads trauma
    narration and SUDS reports as danger.
    """

    level: Level
    reason: str
    decisions: list[SafeguardDecision] = field(default_factory=list)
    explicit: bool = False


def _unresolved_reason(result: ScreenResult) -> str:
    """Why the screen left a turn open, as a rule id (an uncovered language is named)."""
    return "lang.uncovered" if "lang.uncovered" in result.matched else "screen_unresolved"


class Assessor:
    """Screen + cues (+ LLM) -> :class:`Assessment`. Models load lazily."""

    def __init__(
        self, config: InputScreenConfig, cues: ProtocolCues, screen: RiskScreen | None = None
    ) -> None:
        self.config = config
        self.cues = cues
        self._screen = screen
        self._lexicon: RiskScreen | None = None
        self._llm: object | None = None
        self._load_lock = threading.Lock()
        self._warm = False
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def screen(self) -> RiskScreen:
        if self._screen is None:
            self._screen = RiskScreen(self.config.screen)
        return self._screen

    def screen_many(self, texts: list[str]) -> list[ScreenResult]:
        """Offline screen of several turns at once; a crash is unresolved, never clear.

        Thread-safe: the first call (which loads the models) runs alone under a lock, later
        ones run side by side (the screen's models only read their weights)."""
        try:
            if not self._warm:
                with self._load_lock:
                    results = self.screen.screen_turns(texts)
                    self._warm = True
                    return results
            return self.screen.screen_turns(texts)
        except Exception as exc:  # fail closed
            log.error("risk screen failed (%s); turns treated as unresolved", type(exc).__name__)
            return [ScreenResult(risk=None) for _ in texts]

    async def screen_async(self, texts: list[str]) -> list[ScreenResult]:
        """:meth:`screen_many` in a worker thread: screening a long turn (embedding every
        chunk) is CPU work of up to seconds, and on the event loop it would stall every other
        request the proxy is serving. At most ``_SCREEN_THREADS`` screens run at once."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(_SCREEN_THREADS)
        return await anyio.to_thread.run_sync(self.screen_many, texts, limiter=self._limiter)

    async def assess(self, text: str, *, turn: int, exercise: str | None) -> Assessment:
        """The level of one user turn (with the LLM when configured)."""
        if not self.config.enabled:
            return Assessment("none", "screen_off")
        result = (await self.screen_async([text]))[0]
        if self.config.llm_model is not None and result.risk is not True:
            result = await self._ask_llm(text, result, turn)
        return self.combine(text, result, turn=turn, exercise=exercise)

    def combine(
        self, text: str, result: ScreenResult, *, turn: int, exercise: str | None
    ) -> Assessment:
        """Screen result + the proxy's cues -> level (pure and deterministic: the same turn in
        the same state always gets the same level; used to rebuild history too).

        Precedence, first match wins: current-risk cue (acute) > method request > the screen's
        acuity (outside an exercise; inside one only a strong marker with a self-risk rule) >
        risk (screen or disclosure cue; outside an exercise an information request is a
        topic, level none) > unresolved > none.
        """
        cues = self.cues.current_risk(text)
        method = self.cues.method_requested(text)
        disclosed = self.cues.disclosed(text)
        self_rules = self.cues.self_risk(result.matched)
        strong = [m for m in result.matched if m in self.cues.strong_screen_markers]
        decisions: list[SafeguardDecision] = []
        detail = {"stage": result.stage, "category": result.category, "score": result.score}
        if result.risk is True:
            reason = f"{result.stage}:{result.category}"
            decisions.append(
                SafeguardDecision(layer="input_screen", action="flag_risk", reason=reason,
                                  turn=turn, detail={**detail, "rules": ",".join(result.matched)})
            )
        elif result.risk is None:
            decisions.append(
                SafeguardDecision(layer="input_screen", action="unresolved",
                                  reason=_unresolved_reason(result), turn=turn, detail=detail)
            )
        if cues:
            decisions.append(
                SafeguardDecision(layer="input_screen", action="flag_acute", reason=cues[0],
                                  turn=turn, detail={"cues": ",".join(cues)})
            )
            return Assessment("acute", cues[0], decisions, explicit=True)
        if method:
            decisions.append(
                SafeguardDecision(layer="input_screen", action="flag_risk", reason=method[0],
                                  turn=turn, detail={"cues": ",".join(method)})
            )
            return Assessment("method", method[0], decisions, explicit=True)
        if result.risk is True and result.acute:
            confirmed = bool(strong) and bool(self_rules) and result.stage == "lexicon"
            if exercise is None or confirmed:
                reason = strong[0] if strong else f"{result.stage}:acute"
                decisions.append(
                    SafeguardDecision(layer="input_screen", action="flag_acute", reason=reason,
                                      turn=turn)
                )
                return Assessment("acute", reason, decisions, explicit=True)
            decisions.append(
                SafeguardDecision(layer="protocol", action="stay_in_protocol",
                                  reason="acute_unconfirmed_in_exercise", turn=turn,
                                  detail={"exercise": exercise})
            )
        explicit = bool(disclosed) or (bool(self_rules) and result.stage == "lexicon")
        if explicit and exercise is not None and not disclosed:
            explicit = self._beyond_narration(text)
        if result.risk is True or disclosed:
            reason = disclosed[0] if disclosed and result.risk is not True else (
                f"{result.stage}:{result.category}")
            if disclosed and result.risk is not True:
                decisions.append(
                    SafeguardDecision(layer="input_screen", action="flag_risk", reason=reason,
                                      turn=turn, detail={"cues": ",".join(disclosed)})
                )
            acute_marked = result.acute or any(m.startswith(("acute.", "emerg."))
                                               for m in result.matched)
            if (exercise is None and not disclosed and not acute_marked
                    and self.cues.information_request(text)):
                decisions.append(
                    SafeguardDecision(layer="input_screen", action="pass",
                                      reason="topic:information_request", turn=turn,
                                      detail={"rules": ",".join(result.matched)})
                )
                return Assessment("none", "topic:information_request", decisions)
            return Assessment("risk", reason, decisions, explicit=explicit)
        if result.risk is None:
            return Assessment("unresolved", _unresolved_reason(result), decisions)
        concern = (result.stage == "embedding" and exercise is None
                   and (result.score or 0.0) >= self.config.concern_threshold
                   and not self.cues.information_request(text))
        if concern:
            decisions.append(
                SafeguardDecision(layer="input_screen", action="flag_risk",
                                  reason="embedding:concern", turn=turn, detail=detail)
            )
            return Assessment("concern", "embedding:concern", decisions)
        decisions.append(
            SafeguardDecision(layer="input_screen", action="pass", reason="no_risk", turn=turn)
        )
        return Assessment("none", "no_risk", decisions)

    def _beyond_narration(self, text: str) -> bool:
        """Inside an exercise: does the turn still name the writer's own risk once narration
        of the index memory is masked? (Lexicon only: the question is about words.)"""
        masked = self.cues.without_narration(text)
        if masked is None:
            return True
        if self._lexicon is None:
            self._lexicon = RiskScreen(ScreenConfig(embedding=False, language_check=False))
        again = self._lexicon.screen_turns([masked])[0]
        return again.risk is True and bool(self.cues.self_risk(again.matched))

    async def _ask_llm(self, text: str, result: ScreenResult, turn: int) -> ScreenResult:
        """The LLM may add risk or settle an unresolved turn; it never clears a flagged one
        (the caller only asks when the offline screen found no risk). No answer keeps an
        unresolved turn unresolved and a clear turn clear."""
        from mhsafe.models import generate_structured, get_model

        if self._llm is None:
            self._llm = get_model(
                str(self.config.llm_model),
                max_tokens=self.config.llm_max_tokens,
                timeout_s=self.config.llm_timeout_s,
            )
        answer = await generate_structured(
            self._llm,  # type: ignore[arg-type]
            [Message(role="system", content=_LLM_INSTRUCTION), Message(role="user", content=text)],
            LLMRiskAssessment,
            max_tokens=self.config.llm_max_tokens,
            timeout_s=self.config.llm_timeout_s,
            retries=1,
        )
        if answer.value is None:
            return result
        if answer.value.risk:
            return ScreenResult(risk=True, category=result.category if result.category != "none"
                                else "suicide", acute=answer.value.acute, stage="judge",
                                matched=["llm.risk"])
        return result.model_copy(update={"risk": False}) if result.risk is None else result


__all__ = ["Assessment", "Assessor", "LLMRiskAssessment", "Level"]
