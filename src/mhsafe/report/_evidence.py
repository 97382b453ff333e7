"""Gather one system's evidence (latest run per suite, its audits) from a store.

The report reaches the store through the narrow `EvidenceSource` protocol, so this room never
imports `store/`: the CLI passes a `Store`, tests pass anything with these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from mhsafe.axes import AuditEvidence, EpochVerdict, Evidence, SuiteEvidence


class RunLike(Protocol):
    """The fields of a stored run the report reads."""

    id: str
    kind: str
    name: str
    model: str | None
    created_at: datetime
    summary: dict[str, Any] | None
    config: dict[str, Any]


class EvidenceSource(Protocol):
    """What the report needs from a store."""

    def list_runs(self, kind: str | None = None) -> Sequence[Any]: ...

    def verdicts(self, run_id: str) -> Sequence[Any]: ...


def systems_in(source: EvidenceSource) -> list[str]:
    """Every model that has at least one evaluation run, oldest first."""
    seen: dict[str, datetime] = {}
    for run in source.list_runs(kind=None):
        if run.kind in ("eval", "clinical") and run.model:
            seen.setdefault(run.model, run.created_at)
    return sorted(seen, key=lambda m: seen[m])


def gather_evidence(source: EvidenceSource, system: str) -> Evidence:
    """Latest finished-or-not run per suite for `system`, and every audit of its logs (audits
    carry `config.system`, set by ``mhsafe audit --system``). An untagged audit belongs to no
    system: shown under each system, one audit's figures read as if they were every system's
    (issue 17)."""
    latest: dict[str, RunLike] = {}
    audits: list[AuditEvidence] = []
    for run in sorted(source.list_runs(kind=None), key=lambda r: r.created_at):
        if run.kind in ("eval", "clinical") and run.model == system:
            latest[run.name] = run
        elif run.kind == "audit" and run.summary:
            tagged = (run.config or {}).get("system")
            if tagged == system:
                audits.append(AuditEvidence(run_id=run.id, created_at=run.created_at.isoformat(),
                                            summary=run.summary))
    suites = {
        name: SuiteEvidence(
            suite=name,
            run_id=run.id,
            model=system,
            verdicts=[EpochVerdict.model_validate(v.model_dump(exclude={"run_id"}))
                      for v in source.verdicts(run.id)],
        )
        for name, run in latest.items()
    }
    return Evidence(system=system, suites=suites, audits=audits)
