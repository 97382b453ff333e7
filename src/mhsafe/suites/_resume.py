"""What `mhsafe eval --resume RUN` reuses from the stored run, and what a run stores so that it
can be resumed.

Both directions live here, side by side: a setting written under one key and read back under
another would make a resumed run quietly differ from the one it finishes (another model,
another sample of items), and the finished run would mix two evaluations under one id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from mhsafe.suites._names import canonical_suite_name as _canonical


class EvalResumeError(ValueError):
    """The run asked for cannot be resumed as this suite (unknown id, another suite)."""


class StoredRun(Protocol):
    """What resuming needs from a stored run (``store.RunInfo`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    @property
    def config(self) -> Mapping[str, Any] | None: ...


class EvalSettings(BaseModel):
    """The settings that decide which items a run evaluates and how: the ones a resume must
    take from the stored run rather than from today's flags."""

    model_config = ConfigDict(extra="forbid")

    suite: str
    model: str
    judges: list[str] = Field(default_factory=list)
    epochs: int = 1
    limit: int | None = None
    first: bool = False
    seed: int = 0
    name: str | None = None
    max_tokens: int = 160
    dataset: str | None = None
    fields: str | None = None
    expected_map: str | None = None

    def run_config(self) -> dict[str, Any]:
        """The extra keys stored with the run (``run_suite`` adds epochs, limit and judges
        itself), read back by ``resume_settings``."""
        return {"max_tokens": self.max_tokens, "dataset": self.dataset, "fields": self.fields,
                "expected_map": self.expected_map, "limit_seed": self.seed,
                "limit_first": self.first, "run_name": self.name}


def resume_settings(
    previous: StoredRun | None, run_id: str, suite: str, given: EvalSettings
) -> EvalSettings:
    """The settings of stored run ``run_id`` (``previous``), falling back to ``given`` for a
    key the run did not store. ``suite`` may be spelled with ``-`` for ``_``; the stored
    run's own name is the one kept.

    A run stored before the stratified ``--limit`` has no ``limit_seed``: it took the first K
    items, so it resumes with ``first``. Raises ``EvalResumeError`` when there is no such run
    or it is a run of another suite.
    """
    if previous is None:
        raise EvalResumeError(f"--resume: no run {run_id!r} in the store (see `mhsafe runs`)")
    if _canonical(previous.name) != _canonical(suite):
        raise EvalResumeError(f"--resume: run {run_id} is a {previous.name} run, not {suite}")
    config = dict(previous.config or {})
    return EvalSettings(
        suite=previous.name,
        model=previous.model or given.model,
        judges=list(config.get("judges", given.judges)),
        epochs=int(config.get("epochs", given.epochs)),
        limit=config.get("limit", given.limit),
        first=bool(config.get("limit_first", "limit_seed" not in config)),
        seed=int(config.get("limit_seed", given.seed)),
        name=config.get("run_name", given.name),
        max_tokens=int(config.get("max_tokens", given.max_tokens)),
        dataset=config.get("dataset", given.dataset),
        fields=config.get("fields", given.fields),
        expected_map=config.get("expected_map", given.expected_map),
    )
