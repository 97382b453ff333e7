"""`mhsafe gate` and the report decide the same: the gate composed over a store equals the
gate inside the report built from that store, for all systems and for a named one."""

from __future__ import annotations

from pathlib import Path

from mhsafe.axes import load_thresholds
from mhsafe.report import build_report, gate_decision, scored_systems, systems_in
from mhsafe.store import Store


def test_gate_equals_the_reports_gate(filled_store_url: str) -> None:
    store, limits = Store(filled_store_url), load_thresholds()
    built = build_report(store, limits, store_label="t")
    assert built.document.gate is not None
    assert gate_decision(store, limits).model_dump() == built.document.gate.model_dump()
    names = systems_in(store)
    assert [name for name, _ in scored_systems(store, limits)] == names
    one = gate_decision(store, limits, [names[0]])
    assert {f.system for f in one.failures} <= {names[0]}
    only = build_report(store, limits, store_label="t", systems=[names[0]])
    assert only.document.gate is not None
    assert one.model_dump() == only.document.gate.model_dump()


def test_an_empty_store_fails_the_gate(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/empty.db")
    decision = gate_decision(store, load_thresholds())
    assert decision.exit_code == 1
    assert [f.reason for f in decision.failures] == ["nothing evaluated in the store"]
