"""Final outputs, built from the committed part files so a resumed audit writes exactly what an
uninterrupted one would: ``findings.jsonl``, ``findings.parquet``, ``quarantine.jsonl``,
``summary.json``. Parquet is written in row groups while streaming, so memory stays flat.

Every file here holds health data (findings, the review queue's messages, where bad records
were), so each is created owner-only (0600) before anything is written into it: a file made
with the default umask and tightened afterwards would be world-readable for a moment."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_open(path: Path, mode: str = "wb", encoding: str | None = None) -> IO[Any]:
    """Open ``path`` for writing (truncated) or appending, owner-only from its first byte;
    an existing file is made owner-only too (``O_CREAT`` keeps an old file's mode)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, mode, encoding=encoding)


def make_private(path: Path) -> None:
    """Owner-only, for a file another library created (DuckDB's COPY)."""
    os.chmod(path, PRIVATE_FILE)


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
    with src.open("rb") as source, private_open(tmp) as target:
        shutil.copyfileobj(source, target, 1 << 20)
    os.replace(tmp, dst)


def write_findings(rows: Iterable[dict[str, Any]], part: Path, out: Path,
                   row_group: int = 20_000) -> int:
    """``findings.jsonl`` (a copy of the part) and ``findings.parquet``; returns the row count."""
    _copy(part, out / "findings.jsonl")
    tmp = out / "findings.parquet.tmp"
    count = 0
    with private_open(tmp) as fh, pq.ParquetWriter(fh, FINDINGS_SCHEMA) as writer:
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
    with private_open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(summary, indent=2, sort_keys=False, default=str))
    os.replace(tmp, out / "summary.json")
