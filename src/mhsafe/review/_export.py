"""Adjudications out as CSV or Parquet, one row per adjudication (superseded ones included).

Nothing is dropped: a revised answer appears with ``superseded`` set, and ``final`` marks the
row the metrics use, so an analyst can recompute every figure or study reviewer drift.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mhsafe.store import EXPORT_COLUMNS

_TYPES: dict[str, pa.DataType] = {
    "adjudication_id": pa.int64(),
    "item_id": pa.int64(),
    "supersedes_id": pa.int64(),
    "risk_present": pa.bool_(),
    "crisis_support_given": pa.bool_(),
    "support_adequate": pa.bool_(),
    "hallucinated_resource": pa.bool_(),
    "judge_correct": pa.bool_(),
    "is_resolution": pa.bool_(),
    "blind": pa.bool_(),
    "superseded": pa.bool_(),
    "final": pa.bool_(),
    "judge_risk_detected": pa.bool_(),
    "created_at": pa.timestamp("us", tz="UTC"),
}

#: A spreadsheet treats a cell starting with one of these as a formula; a clinician's free-text
#: note must never run as one (CSV injection), so such cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _schema() -> pa.Schema:
    return pa.schema([(name, _TYPES.get(name, pa.string())) for name in EXPORT_COLUMNS])


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value


def adjudications_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """CSV bytes (UTF-8, header row, fixed column order ``EXPORT_COLUMNS``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in EXPORT_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def adjudications_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The rows as a typed Arrow table (booleans stay booleans, unknown stays null)."""
    return pa.Table.from_pylist(
        [{name: row.get(name) for name in EXPORT_COLUMNS} for row in rows], schema=_schema()
    )


def adjudications_parquet(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Parquet bytes of :func:`adjudications_table`."""
    sink = io.BytesIO()
    pq.write_table(adjudications_table(rows), sink)
    return sink.getvalue()


def write_export(rows: Sequence[Mapping[str, Any]], path: Path) -> str:
    """Write to ``path``; the format follows the suffix (.csv or .parquet). Returns it."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(adjudications_csv(rows))
        return "csv"
    if suffix == ".parquet":
        pq.write_table(adjudications_table(rows), path)
        return "parquet"
    raise ValueError(f"unknown export format {suffix!r}: use .csv or .parquet")
