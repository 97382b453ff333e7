"""What the five axes are computed from: the verdicts of one system's runs and its audits.

The report gathers this bundle from the store; the axes never touch the store themselves
(axes import schema and stats only), so they can be tested on hand-made verdicts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mhsafe.schema import Verdict


class EpochVerdict(Verdict):
    """A verdict with the epoch it came from (several epochs are one item asked again)."""

    epoch: int = 1


class SuiteEvidence(BaseModel):
    """One run of one suite for the system."""

    suite: str
    run_id: str
    model: str = ""
    verdicts: list[EpochVerdict] = Field(default_factory=list)


class AuditEvidence(BaseModel):
    """One audit of deployment logs (its summary.json), with when it ran."""

    run_id: str
    created_at: str
    summary: dict[str, Any] = Field(default_factory=dict)


class Evidence(BaseModel):
    """Everything known about one system under test."""

    system: str
    suites: dict[str, SuiteEvidence] = Field(default_factory=dict)
    audits: list[AuditEvidence] = Field(default_factory=list)

    def verdicts(self, *suites: str) -> list[EpochVerdict]:
        """All verdicts of the named suites (missing suites contribute nothing)."""
        found: list[EpochVerdict] = []
        for name in suites:
            if name in self.suites:
                found.extend(self.suites[name].verdicts)
        return found
