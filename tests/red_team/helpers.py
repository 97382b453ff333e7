"""Shared pieces of the red-team regressions: a quick audit with the fake screen and rule
detectors (tests/audit/fakes.py), and readers for its outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mhsafe.audit import AuditOptions, AuditResult, InterventionChecker, run_audit
from tests.audit.fakes import FakeScreen, fake_script, fake_support


def checker() -> InterventionChecker:
    return InterventionChecker(2, detect_support=fake_support, is_crisis_script=fake_script)


def audit(paths: list[Path], out: Path, **kwargs: Any) -> AuditResult:
    """run_audit with the fakes; ``options`` and ``store``/``resume`` pass through."""
    options = kwargs.pop("options", AuditOptions(batch_size=2, max_rate=0.5))
    return run_audit(paths, out, options, screen=FakeScreen(), checker=checker(), **kwargs)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_csv(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path
