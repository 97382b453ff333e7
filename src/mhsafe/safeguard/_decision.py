"""The record each layer leaves behind: which layer, what it did, and the rule that made it.

Never raw text: a decision names a rule id (``lexicon:suicide.passive``,
``current.means_at_hand``, ``harm:methods``), so the proxy's log can be shared with a
reviewer or a regulator without leaking what a user wrote.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Layer = Literal["input_screen", "llm_screen", "crisis", "protocol", "output_check", "upstream"]
Action = Literal[
    "pass",  # the layer looked and changed nothing
    "flag_risk",  # risk found (non-acute)
    "flag_acute",  # current risk: intent, plan, means, timing
    "unresolved",  # the layer could not decide (fail closed downstream)
    "enter_crisis_mode",
    "stay_in_crisis_mode",
    "exit_crisis_mode",
    "crisis_reply",  # the reply is the crisis response (the model's reply not shown)
    "add_support",  # crisis support appended to a checked reply
    "stay_in_protocol",  # risk language inside an exercise that does not step out
    "checkin",  # one safety question appended inside an exercise
    "step_out",  # current risk inside an exercise: leave the protocol for safety
    "block_rewrite",  # harmful reply replaced
    "strip_number",  # unverified number removed
    "error",  # upstream failed
]
Detail = str | int | float | bool | None


class SafeguardDecision(BaseModel):
    """One layer's decision on one turn. ``turn`` counts user turns from 1."""

    model_config = ConfigDict(extra="forbid")

    layer: Layer
    action: Action
    reason: str
    turn: int
    detail: dict[str, Detail] = Field(default_factory=dict)


__all__ = ["Action", "Detail", "Layer", "SafeguardDecision"]
