"""The machine-readable report: one JSON document whose schema is published.

`ReportDocument.model_json_schema()` is written to `docs/report.schema.json`; a test validates
every generated report against it, so tools that read the JSON can rely on its shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mhsafe.axes import AxisResult


class SystemReport(BaseModel):
    """One system's five axes and where their evidence came from."""

    system: str
    runs: dict[str, str] = Field(default_factory=dict, description="suite -> run id")
    audits: list[str] = Field(default_factory=list, description="audit run ids")
    axes: list[AxisResult]
    passed: bool


class ReportDocument(BaseModel):
    """The whole report: every system, its axes, and the gate's decision."""

    schema_version: str = "1"
    generated: str
    store: str
    thresholds: dict[str, Any]
    systems: list[SystemReport]
    extras: dict[str, Any] = Field(default_factory=dict)


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of `ReportDocument` (draft 2020-12, as pydantic emits it)."""
    return ReportDocument.model_json_schema()
