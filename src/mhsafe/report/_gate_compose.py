"""The gate over a store: which systems, their scored axes, one decision.

`mhsafe gate` and the report must score the same systems the same way, or CI could pass a
build whose report shows a failing axis. This is the composition `mhsafe gate` runs (the
report's `build_report` does the same per system and adds the document): every system with
an evaluation run unless ``systems`` names some, each scored on its latest evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from mhsafe.axes import AxisResult, Thresholds, score_axes
from mhsafe.report._evidence import EvidenceSource, gather_evidence, systems_in
from mhsafe.report._gate import GateDecision, decide_gate


def scored_systems(
    source: EvidenceSource, thresholds: Thresholds, systems: Sequence[str] | None = None
) -> list[tuple[str, list[AxisResult]]]:
    """(system, its five scored axes) for ``systems``, or for every system in the store
    (oldest first) when none are named."""
    names = list(systems) if systems else systems_in(source)
    return [(name, score_axes(gather_evidence(source, name), thresholds)) for name in names]


def gate_decision(
    source: EvidenceSource, thresholds: Thresholds, systems: Sequence[str] | None = None
) -> GateDecision:
    """The gate's decision over the store: pass only when every line of every system passes
    (a store with nothing evaluated fails; see ``decide_gate``)."""
    return decide_gate(scored_systems(source, thresholds, systems))
