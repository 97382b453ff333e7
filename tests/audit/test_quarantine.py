"""Quarantine rows carry file, line and reason -- and never the record's text."""

from __future__ import annotations

from mhsafe.audit import Quarantined
from mhsafe.audit._quarantine import count_reasons


def test_row_shape_and_counts() -> None:
    items = [Quarantined("a.jsonl", 3, "invalid_json", "col 5"),
             Quarantined("a.jsonl", 9, "invalid_json"),
             Quarantined("b.csv", 2, "unknown_role", "wizard", "c7")]
    assert items[2].to_json() == {"file": "b.csv", "line": 2, "reason": "unknown_role",
                                  "detail": "wizard", "conversation_id": "c7"}
    assert count_reasons(items) == {"invalid_json": 2, "unknown_role": 1}
