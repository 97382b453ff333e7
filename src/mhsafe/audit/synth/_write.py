"""Writing synthetic logs: JSONL (one conversation per line) or long-form Parquet.

Parquet is written in row groups as records stream past, so memory stays flat. Its long form
(conversation_id, turn, role, content) is how deployment logs usually arrive; the ground-truth
labels and metadata, which have no place in a log, go to a sidecar ``<file>.labels.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_ROW_GROUP = 20_000


def labels_path(out: Path) -> Path:
    """Where the Parquet writer puts the ground truth for ``out``."""
    return out.with_name(out.name + ".labels.jsonl")


def write_logs(records: Iterable[dict[str, Any]], out: Path) -> int:
    """Write records to ``out`` (.jsonl, or .parquet in long form); return how many."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        return _write_parquet(records, out)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def _write_parquet(records: Iterable[dict[str, Any]], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [("conversation_id", pa.string()), ("turn", pa.int32()), ("role", pa.string()),
         ("content", pa.string())]
    )
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    n = 0
    with pq.ParquetWriter(out, schema) as writer, labels_path(out).open(
        "w", encoding="utf-8"
    ) as side:
        for record in records:
            for turn, message in enumerate(record["messages"]):
                columns["conversation_id"].append(record["id"])
                columns["turn"].append(turn)
                columns["role"].append(message["role"])
                columns["content"].append(message["content"])
            side.write(json.dumps({"id": record["id"], "metadata": record["metadata"],
                                   "labels": record["labels"]}) + "\n")
            n += 1
            if len(columns["turn"]) >= _ROW_GROUP:
                writer.write_table(pa.table(columns, schema=schema))
                columns = {name: [] for name in schema.names}
        if columns["turn"]:
            writer.write_table(pa.table(columns, schema=schema))
    return n
