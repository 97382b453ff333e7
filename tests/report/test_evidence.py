"""Audit figures are shown under the system whose logs they are, and only there."""

from __future__ import annotations

from pathlib import Path

from mhsafe.audit import AuditOptions
from mhsafe.report._evidence import gather_evidence
from mhsafe.store import Store
from tests.report.storefill import add_audit


def test_an_audit_belongs_to_its_own_system_only(tmp_path: Path) -> None:
    """Regression: an untagged audit was shown under every system, so one deployment's
    missed-intervention rate read as both systems' (issue 17)."""
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    mine = add_audit(store, missed=3, flagged=50, system="vendor/proxied")
    add_audit(store, missed=9, flagged=50)  # untagged
    assert [a.run_id for a in gather_evidence(store, "vendor/proxied").audits] == [mine]
    assert gather_evidence(store, "vendor/raw").audits == []


def test_the_system_is_recorded_but_does_not_change_the_pinned_audit() -> None:
    options = AuditOptions(system="vendor/proxied")
    assert options.model_dump()["system"] == "vendor/proxied"
    assert "system" not in options.pinned()
