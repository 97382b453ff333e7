"""A store filled once per session with two systems' evidence (one fair, one with planted
faults) and three weekly audits, and the report written from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mhsafe.axes import load_thresholds
from mhsafe.report import BuiltReport, build_report, write_report
from mhsafe.store import Store
from tests.report.storefill import fill_store


def fake_redact(text: str) -> str:
    """Stands in for mhsafe.audit.redact: marks that excerpts passed through a redactor."""
    return "[redacted] " + text[:40]


@dataclass
class Written:
    store_url: str
    built: BuiltReport
    paths: dict[str, Path]


@pytest.fixture(scope="session")
def filled_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'mhsafe.db'}"
    fill_store(Store(url))
    return url


@pytest.fixture(scope="session")
def written(filled_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Written:
    built = build_report(Store(filled_store_url), load_thresholds(), store_label="test-store",
                         redact=fake_redact)
    paths = write_report(built, tmp_path_factory.mktemp("report"))
    return Written(filled_store_url, built, paths)
