"""Long-form logs (``conversation_id, turn, role, content``; CSV or Parquet), streamed.

Rows of one conversation must be consecutive to stream; a file where they are not is first
sorted with DuckDB (which spills to disk, so memory stays bounded) into a temporary Parquet
that keeps each row's original line number, so quarantine entries still point at the user's
file. Cursors count data rows consumed, so a resumed read skips exactly that many.
"""

from __future__ import annotations

import csv
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mhsafe.audit._ingest_common import (
    LONG_COLUMNS,
    Cursor,
    IngestLimits,
    Item,
    check_message,
    has_nul,
    is_bad_utf8,
)
from mhsafe.audit._quarantine import Quarantined
from mhsafe.schema import Message, Transcript

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Row:
    cid: str
    turn: Any
    role: Any
    content: Any
    line: int


def _group_rows(
    rows: Iterator[tuple[_Row, int, int]], name: str, file_index: int, limits: IngestLimits
) -> Iterator[Item]:
    """Consecutive rows with one conversation_id -> one conversation (sorted by ``turn``).

    ``rows`` yields (row, rows consumed after it, lines consumed after it). One bad row
    quarantines its whole conversation at that row's line: half a conversation cannot be
    judged for whether a reply came after a disclosure.
    """
    group: list[_Row] = []
    end = Cursor(file_index, 0, 0)

    def flush() -> Iterator[Item]:
        first = group[0]
        messages: list[tuple[int, Message]] = []
        for row in group:
            if isinstance(row.turn, str) and row.turn.strip().lstrip("-").isdigit():
                turn = int(row.turn)
            elif isinstance(row.turn, int) and not isinstance(row.turn, bool):
                turn = row.turn
            else:
                yield Quarantined(name, row.line, "bad_turn", "", first.cid), end
                return
            checked = check_message(row.role, row.content, limits)
            if not isinstance(checked, Message):
                yield Quarantined(name, row.line, checked[0], checked[1], first.cid), end
                return
            messages.append((turn, checked))
        messages.sort(key=lambda pair: pair[0])
        yield (
            Transcript.model_construct(
                id=first.cid,
                messages=[m for _, m in messages],
                metadata={},
                source=f"log:{name}:{first.line}",
            ),
            end,
        )

    for row, rows_after, lines_after in rows:
        if group and row.cid != group[0].cid:
            yield from flush()
            group = []
        if not row.cid or has_nul(row.cid) or is_bad_utf8(row.cid):
            if group:
                yield from flush()
                group = []
            end = Cursor(file_index, rows_after, lines_after)
            yield Quarantined(name, row.line, "missing_column", "conversation_id"), end
            continue
        group.append(row)
        end = Cursor(file_index, rows_after, lines_after)
    if group:
        yield from flush()


def _csv_rows(path: Path, start: Cursor) -> Iterator[tuple[_Row, int, int]]:
    csv.field_size_limit(sys.maxsize)
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in LONG_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: long-form CSV lacks columns {missing}")
        consumed, last_line = 0, reader.line_num
        for record in reader:
            first_line = last_line + 1
            last_line = reader.line_num
            consumed += 1
            if consumed <= start.offset:
                continue
            yield (
                _Row(
                    str(record.get("conversation_id") or ""),
                    record.get("turn"),
                    record.get("role"),
                    record.get("content"),
                    first_line,
                ),
                consumed,
                last_line,
            )


def _parquet_rows(path: Path, start: Cursor, row_column: str | None) -> Iterator[
    tuple[_Row, int, int]
]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    missing = [c for c in LONG_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{path}: long-form Parquet lacks columns {missing}")
    columns = [*LONG_COLUMNS, *([row_column] if row_column else [])]
    consumed = 0
    for chunk in pf.iter_batches(batch_size=8192, columns=columns):
        if consumed + chunk.num_rows <= start.offset:
            consumed += chunk.num_rows
            continue
        for record in chunk.to_pylist():
            consumed += 1
            if consumed <= start.offset:
                continue
            content = record["content"]
            if isinstance(content, bytes):
                content = content.decode("utf-8", errors="surrogateescape")
            line = int(record[row_column]) if row_column else consumed
            cid = record["conversation_id"]
            yield _Row("" if cid is None else str(cid), record["turn"], record["role"], content,
                       line), consumed, consumed


def _duckdb_source(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{quoted}')"
    return f"read_csv('{quoted}', header=true, all_varchar=true)"


def needs_sort(path: Path) -> bool:
    """True when some conversation_id appears in more than one run of consecutive rows.

    Checked with DuckDB (one vectorised scan). If DuckDB cannot parse the file (invalid
    UTF-8, say) the file is streamed as it is and the Python reader quarantines what it must.
    """
    import duckdb

    query = f"""
        WITH r AS (SELECT conversation_id AS cid, row_number() OVER () AS rn
                   FROM {_duckdb_source(path)}),
             s AS (SELECT cid, CASE WHEN cid IS DISTINCT FROM lag(cid) OVER (ORDER BY rn)
                               THEN 1 ELSE 0 END AS st FROM r)
        SELECT count(*) FROM (SELECT cid FROM s GROUP BY cid HAVING sum(st) > 1)"""
    try:
        with duckdb.connect() as con:
            row = con.execute(query).fetchone()
    except duckdb.Error as exc:
        log.warning("could not check grouping of %s (%s); streaming as is", path,
                    type(exc).__name__)
        return False
    return bool(row and row[0])


def sort_long_form(path: Path, work_dir: Path) -> Path:
    """Sort an ungrouped long-form file by (conversation_id, original row) into Parquet.

    DuckDB spills to disk, so memory stays bounded. Original row numbers travel in a column
    so quarantine entries still point at the user's file (CSV: row + 1 for the header; exact
    unless fields span lines). Deterministic, so a resumed run re-sorts to the same order.
    """
    import duckdb

    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"sorted-{path.stem}.parquet"
    header = 1 if path.suffix.lower() != ".parquet" else 0
    quoted = str(target).replace("'", "''")
    with duckdb.connect() as con:
        con.execute(f"""
            COPY (SELECT * FROM (SELECT *, row_number() OVER () + {header} AS __mhsafe_line
                                 FROM {_duckdb_source(path)})
                  ORDER BY conversation_id, __mhsafe_line)
            TO '{quoted}' (FORMAT parquet)""")
    return target


def iter_long_form(
    path: Path, file_index: int, start: Cursor, limits: IngestLimits, work_dir: Path | None
) -> Iterator[Item]:
    name = str(path)
    if work_dir is not None and needs_sort(path):
        log.info("%s is not grouped by conversation_id; sorting with DuckDB", path)
        sorted_path = sort_long_form(path, work_dir)
        rows = _parquet_rows(sorted_path, start, "__mhsafe_line")
    elif path.suffix.lower() == ".parquet":
        rows = _parquet_rows(path, start, None)
    else:
        rows = _csv_rows(path, start)
    yield from _group_rows(rows, name, file_index, limits)
