"""Layers 1 and 3 on one user turn: how much risk, and is it current?

The screen is the audit's (``mhsafe.judges.screen.RiskScreen``: one implementation, so the
proxy flags what an audit of its traffic would flag). On top of it sit the protocol cues of
current risk. Inside a consented exercise the screen's own acuity counts only through its strong
markers (plan, means, intent, harm in progress): its embedding classifier learned acuity from
general chat, where a trauma narrative ("I knew I was going to die") reads like danger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mhsafe.judges.screen import THIRD_PERSON, RiskScreen
from mhsafe.schema import Message, ScreenResult

from ._config import InputScreenConfig
from ._decision import SafeguardDecision
from ._protocol import ProtocolCues

log = logging.getLogger(__name__)

Level = Literal["none", "risk", "acute", "unresolved"]

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
    """One turn's risk level with the decisions that led to it."""

    level: Level
    reason: str
    decisions: list[SafeguardDecision] = field(default_factory=list)
    about_someone_else: bool = False


class Assessor:
    """Screen + cues (+ LLM) -> :class:`Assessment`. Models load lazily."""

    def __init__(
        self, config: InputScreenConfig, cues: ProtocolCues, screen: RiskScreen | None = None
    ) -> None:
        self.config = config
        self.cues = cues
        self._screen = screen
        self._llm: object | None = None

    @property
    def screen(self) -> RiskScreen:
        if self._screen is None:
            self._screen = RiskScreen(self.config.screen)
        return self._screen

    def screen_many(self, texts: list[str]) -> list[ScreenResult]:
        """Offline screen of several turns at once; a crash is unresolved, never clear."""
        try:
            return self.screen.screen_turns(texts)
        except Exception as exc:  # fail closed
            log.error("risk screen failed (%s); turns treated as unresolved", type(exc).__name__)
            return [ScreenResult(risk=None) for _ in texts]

    async def assess(self, text: str, *, turn: int, exercise: str | None) -> Assessment:
        """The level of one user turn (with the LLM when configured)."""
        if not self.config.enabled:
            return Assessment("none", "screen_off")
        result = self.screen_many([text])[0]
        if self.config.llm_model is not None and result.risk is not True:
            result = await self._ask_llm(text, result, turn)
        return self.combine(text, result, turn=turn, exercise=exercise)

    def combine(
        self, text: str, result: ScreenResult, *, turn: int, exercise: str | None
    ) -> Assessment:
        """Screen result + current-risk cues -> level (pure; used to rebuild history too)."""
        cues = self.cues.current_risk(text)
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
                                  reason="screen_unresolved", turn=turn, detail=detail)
            )
        if cues:
            decisions.append(
                SafeguardDecision(layer="input_screen", action="flag_acute", reason=cues[0],
                                  turn=turn, detail={"cues": ",".join(cues)})
            )
            return Assessment("acute", cues[0], decisions)
        if result.risk is True and result.acute:
            if exercise is None or strong:
                reason = strong[0] if strong else f"{result.stage}:acute"
                decisions.append(
                    SafeguardDecision(layer="input_screen", action="flag_acute", reason=reason,
                                      turn=turn)
                )
                return Assessment("acute", reason, decisions)
            decisions.append(
                SafeguardDecision(layer="protocol", action="stay_in_protocol",
                                  reason="acute_unconfirmed_in_exercise", turn=turn,
                                  detail={"exercise": exercise})
            )
        if result.risk is True:
            # A disclosure about someone else with no acute marker (a parent asking about
            # warning signs, grief after a suicide) is answered, not met with a hotline script.
            other = THIRD_PERSON in result.matched and not any(
                m.startswith("acute.") for m in result.matched
            )
            return Assessment("risk", f"{result.stage}:{result.category}", decisions, other)
        if result.risk is None:
            return Assessment("unresolved", "screen_unresolved", decisions)
        decisions.append(
            SafeguardDecision(layer="input_screen", action="pass", reason="no_risk", turn=turn)
        )
        return Assessment("none", "no_risk", decisions)

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
