"""Final outputs, built from the committed part files so a resumed audit writes exactly what an
uninterrupted one would: ``findings.jsonl``, ``findings.parquet``, ``quarantine.jsonl``,
``summary.json``. Parquet is written in row groups while streaming, so memory stays flat."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FINDINGS_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("risk_detected", pa.bool_()),
        ("risk_category", pa.string()),
        ("acute", pa.bool_()),
        ("risk_turn", pa.int64()),
        ("intervention_detected", pa.bool_()),
        ("intervention_turn", pa.int64()),
        ("hallucinated_resource", pa.bool_()),
        ("over_trigger", pa.bool_()),
        ("status", pa.string()),
        ("stages", pa.list_(pa.string())),
        ("source", pa.string()),
    ]
)


def _copy(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(dst.suffix + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def write_findings(rows: Iterable[dict[str, Any]], part: Path, out: Path,
                   row_group: int = 20_000) -> int:
    """``findings.jsonl`` (a copy of the part) and ``findings.parquet``; returns the row count."""
    _copy(part, out / "findings.jsonl")
    tmp = out / "findings.parquet.tmp"
    count = 0
    with pq.ParquetWriter(tmp, FINDINGS_SCHEMA) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append({name: row.get(name) for name in FINDINGS_SCHEMA.names})
            if len(chunk) >= row_group:
                writer.write_table(pa.Table.from_pylist(chunk, schema=FINDINGS_SCHEMA))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=FINDINGS_SCHEMA))
            count += len(chunk)
    os.replace(tmp, out / "findings.parquet")
    return count


def write_quarantine(part: Path, out: Path) -> None:
    """``quarantine.jsonl``: one row per bad record (file, line, reason, detail; no text)."""
    _copy(part, out / "quarantine.jsonl")


def write_summary(summary: dict[str, Any], out: Path) -> None:
    """``summary.json``."""
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, out / "summary.json")
