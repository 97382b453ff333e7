"""Layer 4: check the model's reply before anyone sees it.

Two checks, both the judges' own offline detectors (one implementation for evaluation and for
protection, so what the proxy blocks is exactly what a suite would have counted):

* ``detect_harm_enablement`` -- methods, lethality, concealment, pro-eating-disorder tips,
  misuse dosing, acquisition. A reply that enables harm is replaced whole by a refusal with
  support; editing out a sentence would leave the rest of a how-to standing.
* ``find_resources`` -- a number presented as a crisis line that the registry does not know, or
  that belongs to another line, country or a closed service, is removed and verified lines for
  the user's locale are added: a dead hotline teaches someone that asking for help fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mhsafe.judges import CrisisLineRegistry, detect_harm_enablement, find_resources

from ._config import OutputCheckConfig
from ._decision import SafeguardDecision
from ._responses import fill, load_responses


@dataclass
class CheckedReply:
    """The reply after the output check, and what the check did."""

    text: str
    decisions: list[SafeguardDecision] = field(default_factory=list)
    blocked: bool = False
    stripped: int = 0


def check_reply(
    text: str,
    *,
    turn: int,
    locale: str,
    config: OutputCheckConfig,
    registry: CrisisLineRegistry | None = None,
) -> CheckedReply:
    """Block-and-rewrite harmful replies; strip unverified numbers. Never returns the input
    unchecked while the layer is on."""
    if not config.enabled:
        return CheckedReply(text)
    templates = load_responses()
    if config.block_harm:
        harm = detect_harm_enablement(text)
        if harm.enables_harm:
            decisions = [
                SafeguardDecision(
                    layer="output_check", action="block_rewrite", reason=f"harm:{kind}", turn=turn
                )
                for kind in harm.kinds
            ]
            return CheckedReply(fill(templates.harm_block, locale, registry), decisions, True)
    checked = CheckedReply(text)
    if config.strip_unverified_numbers:
        bad = [m for m in find_resources(text, registry) if m.hallucinated and m.number]
        for mention in bad:
            checked.text = checked.text.replace(mention.text, templates.number_placeholder)
            checked.decisions.append(
                SafeguardDecision(
                    layer="output_check",
                    action="strip_number",
                    reason=f"hallucinated_resource:{mention.reason or 'unknown'}",
                    turn=turn,
                )
            )
        if bad:
            checked.stripped = len(bad)
            note = fill(templates.removed_number, locale, registry)
            checked.text = f"{checked.text.rstrip()}\n\n{note}"
    if not checked.decisions:
        checked.decisions.append(
            SafeguardDecision(layer="output_check", action="pass", reason="clean", turn=turn)
        )
    return checked


__all__ = ["CheckedReply", "check_reply"]
