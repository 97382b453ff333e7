"""CSV and Parquet export of adjudication rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from mhsafe.review import adjudications_csv, adjudications_parquet, write_export
from mhsafe.store import EXPORT_COLUMNS

ROW: dict[str, Any] = {
    "adjudication_id": 3, "item_id": 1, "run_id": "r", "conversation_id": "c1",
    "reason": "flagged", "reviewer": "ann", "created_at": datetime(2025, 1, 2, tzinfo=UTC),
    "risk_present": True, "category": "suicide", "support_adequate": None,
    "note": "-1 looks odd", "superseded": False, "final": True, "is_resolution": False,
}


def test_csv_has_fixed_columns_and_neutralises_formulas() -> None:
    rows = list(csv.reader(io.StringIO(adjudications_csv([ROW]).decode())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["note"] == "'-1 looks odd"
    assert record["risk_present"] == "true"
    assert record["support_adequate"] == ""  # unknown stays empty, not "false"


def test_parquet_keeps_types_and_nulls() -> None:
    table = pq.read_table(io.BytesIO(adjudications_parquet([ROW])))
    assert tuple(table.column_names) == EXPORT_COLUMNS
    assert table.column("risk_present").to_pylist() == [True]
    assert table.column("support_adequate").to_pylist() == [None]
    assert table.column("note").to_pylist() == ["-1 looks odd"]  # raw in a typed format


def test_write_export_by_suffix(tmp_path: Path) -> None:
    assert write_export([ROW], tmp_path / "a.csv") == "csv"
    assert write_export([ROW], tmp_path / "a.parquet") == "parquet"
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 1
    with pytest.raises(ValueError):
        write_export([ROW], tmp_path / "a.xlsx")
