"""Final outputs: Parquet follows the Finding contract, even when nothing was audited."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from mhsafe.audit._writer import FINDINGS_SCHEMA, write_findings
from mhsafe.schema import Finding


def test_parquet_columns_are_the_finding_fields(tmp_path: Path) -> None:
    assert set(FINDINGS_SCHEMA.names) == set(Finding.model_fields)


def test_rows_round_trip_in_row_groups_and_empty_is_valid(tmp_path: Path) -> None:
    part = tmp_path / "part.jsonl"
    part.write_text("")
    rows = [Finding(conversation_id=f"c{i}", risk_detected=i % 2 == 0, risk_category="none",
                    acute=False, risk_turn=None, intervention_detected=False,
                    intervention_turn=None, hallucinated_resource=False, over_trigger=False,
                    status="no_risk", stages=["lexicon"]).model_dump() for i in range(5)]
    assert write_findings(rows, part, tmp_path, row_group=2) == 5
    table = pq.read_table(tmp_path / "findings.parquet")
    assert table.to_pylist() == rows
    assert pq.ParquetFile(tmp_path / "findings.parquet").num_row_groups == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_findings([], part, empty) == 0
    assert pq.read_table(empty / "findings.parquet").schema.equals(FINDINGS_SCHEMA)
