"""Long-form logs (``conversation_id, turn, role, content``; CSV or Parquet), streamed.

Why it is built this way -- one parser, one grouping rule, and a count at the end:

- CSV is parsed strictly in Python (:mod:`._csvread`) and staged, row by row, into a Parquet
  in the work dir; bad rows keep their line and reason. DuckDB never parses the CSV, so the
  rows it groups are exactly the rows Python read (a DuckDB CSV error used to make the
  grouping check give up and stream an ungrouped file as it was, splitting conversations).
- Rows of one conversation must be consecutive. One DuckDB scan decides whether they are; a
  file where they are not is sorted by (conversation_id, original line) with DuckDB, which
  spills to disk, so memory stays bounded. If the check cannot run the file is refused: half
  a conversation is never audited.
- Rows in must equal rows accounted for (in an audited or a quarantined conversation); a
  mismatch is an :class:`InputError`, not a quietly smaller audit.

Cursors count rows of the staged or sorted stream consumed; a resumed read re-stages (the same
way, deterministically) and skips exactly that many. Staged and sorted copies hold raw text:
they are private (0600) and deleted once the file has been read.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mhsafe.audit._csvread import iter_csv_records
from mhsafe.audit._ingest_common import (
    LONG_COLUMNS,
    Cursor,
    FieldMap,
    IngestLimits,
    InputError,
    Item,
    canonical_role,
    check_id,
    check_message,
    is_bad_utf8,
    no_user_turn,
    parse_turn,
)
from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.audit._writer import make_private, private_open
from mhsafe.schema import Message, Transcript

log = logging.getLogger(__name__)

_STAGE_SCHEMA = pa.schema([
    ("conversation_id", pa.string()), ("turn", pa.string()), ("role", pa.string()),
    ("content", pa.string()), ("__line", pa.int64()), ("__reason", pa.string()),
    ("__detail", pa.string()),
])
_CHUNK_ROWS = 8192
_CHUNK_CHARS = 64 << 20  # a staging chunk never holds more than ~64 MB of text


@dataclass(frozen=True, slots=True)
class _Source:
    """A Parquet to stream: the user's own, the staged CSV, or a sorted copy."""

    path: Path
    columns: tuple[str, str, str, str]  # conversation_id, turn, role, content
    line: str | None  # column holding the original line; None: the 1-based row number
    staged: bool  # carries __reason / __detail
    rows: int


@dataclass(slots=True)
class _Row:
    cid: Any
    turn: Any
    role: Any
    content: Any
    line: int
    reason: QuarantineReason | None
    detail: str


class _RowShape:
    """Whether one physical line, parsed alone, is a complete row of this file."""

    def __init__(self) -> None:
        self.width = 0
        self.index: tuple[int, int, int, int] = (0, 0, 0, 0)
        self.roles: dict[str, str] = {}

    def __call__(self, cells: list[str]) -> bool:
        if not self.width or len(cells) != self.width:
            return False
        cid, turn, role, _ = self.index
        return (bool(cells[cid].strip()) and parse_turn(cells[turn]) is not None
                and canonical_role(cells[role], self.roles) is not None)


def _lossy(text: str) -> tuple[str, bool]:
    """Text Parquet can hold: bad bytes (surrogate-escaped) become U+FFFD, and are reported."""
    if is_bad_utf8(text):
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True
    return text, False


def _stage_csv(path: Path, target: Path, limits: IngestLimits, fields: FieldMap) -> _Source:
    shape = _RowShape()
    shape.roles = dict(fields.roles)
    records = iter_csv_records(path, limits.max_message_bytes + 65_536, shape)
    header = next(records, None)
    if header is None or header.reason is not None:
        raise InputError(f"{path} line 1: no readable CSV header")
    names = [c.strip() for c in header.cells]
    wanted = fields.long_columns()
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InputError(f"{path} line 1: long-form CSV lacks columns {missing} "
                         f"(it has {names[:12]}; map yours with --fields)")
    index = (names.index(wanted[0]), names.index(wanted[1]), names.index(wanted[2]),
             names.index(wanted[3]))
    shape.width, shape.index = len(names), index
    columns: dict[str, list[Any]] = {name: [] for name in _STAGE_SCHEMA.names}
    rows = chars = 0
    with private_open(target) as fh, pq.ParquetWriter(fh, _STAGE_SCHEMA) as writer:
        for rec in records:
            values: list[str | None] = [rec.cells[i] if i < len(rec.cells) else None
                                        for i in index]
            reason, detail = rec.reason, rec.detail
            if reason is None and len(rec.cells) != shape.width:
                reason, detail = "bad_csv_row", f"{len(rec.cells)} fields, header has {shape.width}"
            if reason is not None:
                values[1:] = [None, None, None]
            for i, value in enumerate(values):
                if value is not None:
                    values[i], bad = _lossy(value)
                    if bad and reason is None:
                        reason, detail = "invalid_utf8", f"in {LONG_COLUMNS[i]}"
            for name, value in zip(LONG_COLUMNS, values, strict=True):
                columns[name].append(value)
            columns["__line"].append(rec.line)
            columns["__reason"].append(reason)
            columns["__detail"].append(detail)
            rows += 1
            chars += sum(len(v) for v in values if v)
            if len(columns["__line"]) >= _CHUNK_ROWS or chars >= _CHUNK_CHARS:
                writer.write_table(pa.Table.from_pydict(columns, schema=_STAGE_SCHEMA))
                columns = {name: [] for name in _STAGE_SCHEMA.names}
                chars = 0
        writer.write_table(pa.Table.from_pydict(columns, schema=_STAGE_SCHEMA))
    return _Source(target, LONG_COLUMNS, "__line", True, rows)


def _parquet_source(path: Path, fields: FieldMap) -> _Source:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    names = pf.schema_arrow.names
    missing = [c for c in fields.long_columns() if c not in names]
    if missing:
        raise InputError(f"{path}: long-form Parquet lacks columns {missing} "
                         f"(it has {names[:12]}; map yours with --fields)")
    return _Source(path, fields.long_columns(), None, False, pf.metadata.num_rows)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _scan(src: _Source) -> str:
    """The source with ``__rn``, its original row order."""
    if src.line is not None:
        return f"(SELECT *, {_ident(src.line)} AS __rn FROM read_parquet({_literal(src.path)}))"
    return (f"(SELECT *, file_row_number AS __rn FROM "
            f"read_parquet({_literal(src.path)}, file_row_number=true))")


def _is_grouped(src: _Source) -> bool:
    """Every conversation_id in one run of consecutive rows (rows without an id, which are
    quarantined alone, count as breaks but need no run of their own)."""
    import duckdb

    cid = _ident(src.columns[0])
    query = f"""
        WITH r AS (SELECT {cid} AS cid, __rn FROM {_scan(src)}),
             s AS (SELECT cid, CASE WHEN cid IS DISTINCT FROM lag(cid) OVER (ORDER BY __rn)
                               THEN 1 ELSE 0 END AS st FROM r)
        SELECT count(*) FROM (SELECT cid FROM s
                              WHERE cid IS NOT NULL AND CAST(cid AS VARCHAR) <> ''
                              GROUP BY cid HAVING sum(st) > 1)"""
    try:
        with duckdb.connect() as con:
            row = con.execute(query).fetchone()
    except duckdb.Error as exc:
        raise InputError(f"{src.path}: could not check that rows of each conversation are "
                         f"together ({type(exc).__name__}); refusing to audit it as it is"
                         ) from None
    return not (row and row[0])


def _sort(src: _Source, target: Path) -> _Source:
    """Sorted by (conversation_id, original line) into a private Parquet with fixed names."""
    import duckdb

    cid, turn, role, content = (_ident(c) for c in src.columns)
    line = "__line" if src.line is not None else "__rn + 1"
    extra = ("__reason, __detail" if src.staged
             else "CAST(NULL AS VARCHAR) AS __reason, CAST(NULL AS VARCHAR) AS __detail")
    query = f"""
        COPY (SELECT {cid} AS conversation_id, {turn} AS turn, {role} AS role,
                     {content} AS content, {line} AS __line, {extra}
              FROM {_scan(src)} ORDER BY conversation_id NULLS LAST, __rn)
        TO {_literal(target)} (FORMAT parquet)"""
    try:
        with duckdb.connect() as con:
            con.execute(query)
    except duckdb.Error as exc:
        raise InputError(f"{src.path}: could not sort by conversation_id "
                         f"({type(exc).__name__}); refusing to audit it as it is") from None
    make_private(target)
    rows = pq.ParquetFile(target).metadata.num_rows
    if rows != src.rows:
        raise InputError(f"{src.path}: {src.rows} rows in, {rows} after sorting")
    return _Source(target, LONG_COLUMNS, "__line", True, rows)


def _rows(src: _Source, start: Cursor) -> Iterator[tuple[_Row, int]]:
    """(row, rows consumed after it), from row ``start.offset`` on."""
    columns = list(dict.fromkeys([*src.columns, *([src.line] if src.line else []),
                                  *(["__reason", "__detail"] if src.staged else [])]))
    cid_c, turn_c, role_c, content_c = src.columns
    consumed = 0
    for chunk in pq.ParquetFile(src.path).iter_batches(batch_size=_CHUNK_ROWS, columns=columns):
        if consumed + chunk.num_rows <= start.offset:
            consumed += chunk.num_rows
            continue
        for record in chunk.to_pylist():
            consumed += 1
            if consumed <= start.offset:
                continue
            content = record[content_c]
            if isinstance(content, bytes):
                content = content.decode("utf-8", errors="surrogateescape")
            line = int(record[src.line]) if src.line else consumed
            yield _Row(record[cid_c], record[turn_c], record[role_c], content, line,
                       record.get("__reason"), record.get("__detail") or ""), consumed


def _conversation(group: list[_Row], name: str, limits: IngestLimits,
                  fields: FieldMap) -> Transcript | Quarantined:
    """One conversation's rows -> a transcript (messages in turn order), or the first reason
    it cannot be audited, at that row's line: one bad row quarantines the whole conversation,
    because half a conversation cannot be judged for whether a reply followed a disclosure."""
    first = group[0]
    cid = check_id(first.cid, limits.max_id_chars)
    if not isinstance(cid, str):
        return Quarantined(name, first.line, cid[0], cid[1], None)
    messages: list[tuple[int, Message]] = []
    for row in group:
        if row.reason is not None:
            return Quarantined(name, row.line, row.reason, row.detail, cid)
        turn = parse_turn(row.turn)
        if turn is None:
            return Quarantined(name, row.line, "bad_turn", "", cid)
        checked = check_message(row.role, row.content, limits, roles=fields.roles)
        if not isinstance(checked, Message):
            return Quarantined(name, row.line, checked[0], checked[1], cid)
        messages.append((turn, checked))
    messages.sort(key=lambda pair: pair[0])
    ordered = [m for _, m in messages]
    if no_user_turn(ordered):
        return Quarantined(name, first.line, "no_user_turn", "", cid)
    return Transcript.model_construct(id=cid, messages=ordered, metadata={},
                                      source=f"log:{name}:{first.line}")


def _group_rows(rows: Iterator[tuple[_Row, int]], name: str, file_index: int, start: Cursor,
                total: int, limits: IngestLimits, fields: FieldMap) -> Iterator[Item]:
    """Consecutive rows with one conversation_id -> one item; then rows in == accounted."""
    group: list[_Row] = []
    end = Cursor(file_index, start.offset, start.offset)
    accounted = start.offset
    for row, consumed in rows:
        if group and row.cid != group[0].cid:
            accounted += len(group)
            yield _conversation(group, name, limits, fields), end
            group = []
        if row.cid is None or row.cid == "":
            accounted += 1
            end = Cursor(file_index, consumed, consumed)
            reason: QuarantineReason = row.reason or "missing_column"
            yield Quarantined(name, row.line, reason,
                              row.detail if row.reason else "conversation_id"), end
            continue
        group.append(row)
        end = Cursor(file_index, consumed, consumed)
    if group:
        accounted += len(group)
        yield _conversation(group, name, limits, fields), end
    if accounted != total:
        raise InputError(f"{name}: {total} rows read but {accounted} accounted for "
                         "(audited or quarantined)")


def _prepare(path: Path, file_index: int, scratch: Path, limits: IngestLimits,
             fields: FieldMap) -> _Source:
    if path.suffix.lower() == ".parquet":
        src = _parquet_source(path, fields)
    else:
        src = _stage_csv(path, scratch / f"staged-{file_index}.parquet", limits, fields)
    if not _is_grouped(src):
        log.info("file %d is not grouped by conversation_id; sorting with DuckDB", file_index)
        src = _sort(src, scratch / f"sorted-{file_index}.parquet")
    return src


def needs_sort(path: Path, fields: FieldMap | None = None) -> bool:
    """True when some conversation_id appears in more than one run of consecutive rows."""
    fields = fields or FieldMap()
    with tempfile.TemporaryDirectory() as tmp:
        if path.suffix.lower() == ".parquet":
            src = _parquet_source(path, fields)
        else:
            src = _stage_csv(path, Path(tmp) / "staged.parquet", IngestLimits(), fields)
        return not _is_grouped(src)


def sort_long_form(path: Path, work_dir: Path, fields: FieldMap | None = None) -> Path:
    """A copy of a long-form file sorted by (conversation_id, original line), as Parquet with
    the columns ``conversation_id, turn, role, content, __line, __reason, __detail``."""
    fields = fields or FieldMap()
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.suffix.lower() == ".parquet":
        src = _parquet_source(path, fields)
    else:
        src = _stage_csv(path, work_dir / f"staged-{path.stem}.parquet", IngestLimits(), fields)
    return _sort(src, work_dir / f"sorted-{path.stem}.parquet").path


def iter_long_form(path: Path, file_index: int, start: Cursor, limits: IngestLimits,
                   work_dir: Path | None, fields: FieldMap | None = None) -> Iterator[Item]:
    """Every conversation (or quarantined record) of one long-form file, from ``start``."""
    fields = fields or FieldMap()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = work_dir if work_dir is not None else Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        src = _prepare(path, file_index, scratch, limits, fields)
        try:
            yield from _group_rows(_rows(src, start), str(path), file_index, start, src.rows,
                                   limits, fields)
        finally:
            for copy in (scratch / f"staged-{file_index}.parquet",
                         scratch / f"sorted-{file_index}.parquet"):
                copy.unlink(missing_ok=True)
