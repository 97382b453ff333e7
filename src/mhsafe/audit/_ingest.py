"""Streaming readers for deployment logs: JSONL (OpenAI ``messages``) and long-form CSV/Parquet.

Why streaming with explicit cursors: a production log can be larger than memory, and an audit
that dies at 90 % must resume where it stopped. Every item a reader yields carries the
:class:`Cursor` *after* it, so the checkpoint can record exactly how far the input was
consumed and a resumed run seeks there (a byte offset for JSONL; a row count for long form).

Bad records never stop the read: they come out as :class:`Quarantined` items in the same stream,
in input order, so batch boundaries and checkpoints treat them like any other record.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.schema import Message, Transcript

log = logging.getLogger(__name__)

_ROLES = {"user", "assistant", "system"}
_ROLE_ALIASES = {"developer": "system"}  # OpenAI's newer name for the system role
_LONG_COLUMNS = ("conversation_id", "turn", "role", "content")


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Size limits. A 10 MB "message" is a paste or a bug, not a chat turn, and auditing it
    would stall the screen; a line longer than ``max_record_bytes`` is skipped without ever
    being held in memory whole."""

    max_message_bytes: int = 1_000_000
    max_record_bytes: int = 32_000_000


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far the inputs were consumed: file number, position inside it, lines consumed.

    ``offset`` is a byte offset for JSONL and a count of data rows for CSV/Parquet; ``line`` is
    the number of physical lines consumed (for numbering quarantine entries after a resume).
    """

    file_index: int = 0
    offset: int = 0
    line: int = 0


Item = tuple[Transcript | Quarantined, Cursor]


@dataclass(slots=True)
class Batch:
    """Consecutive input records: the unit of work and of checkpointing."""

    index: int
    conversations: list[Transcript] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    end: Cursor = field(default_factory=Cursor)


def _has_nul(value: str) -> bool:
    return "\x00" in value


def _is_bad_utf8(value: str) -> bool:
    """Lone surrogates come from ``surrogateescape`` decoding of invalid UTF-8 bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _content_text(content: Any) -> str | None:
    """OpenAI content is a string or a list of parts; only text parts are audited."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if texts and all(isinstance(t, str) for t in texts):
            return "\n".join(t for t in texts if isinstance(t, str))
    return None


def _check_message(
    role: Any, content: Any, limits: IngestLimits, check_utf8: bool = True
) -> tuple[QuarantineReason, str] | Message:
    """One turn, validated; returns the reason code instead when it cannot be audited."""
    if role is None or role == "":
        return ("missing_role", "")
    if not isinstance(role, str):
        return ("unknown_role", type(role).__name__)
    role = _ROLE_ALIASES.get(role, role)
    if role not in _ROLES:
        return ("unknown_role", role[:32])
    if content is None:
        return ("missing_content", "")
    text = _content_text(content)
    if text is None:
        return ("content_not_text", type(content).__name__)
    if _has_nul(text):
        return ("nul_byte", "")
    if check_utf8 and _is_bad_utf8(text):
        return ("invalid_utf8", "")
    size = len(text.encode("utf-8"))
    if size > limits.max_message_bytes:
        return ("message_too_large", f"{size} bytes")
    return Message.model_construct(role=role, content=text)


def parse_record(
    raw: bytes, file: str, line: int, limits: IngestLimits
) -> Transcript | Quarantined:
    """One JSONL line -> a transcript, or the reason it cannot be audited.

    A record without an ``id`` gets ``<file>:<line>`` so every finding stays traceable.
    """

    def bad(reason: QuarantineReason, detail: str = "", cid: str | None = None) -> Quarantined:
        return Quarantined(file, line, reason, detail, cid)

    if b"\x00" in raw:
        return bad("nul_byte")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return bad("invalid_utf8", f"byte {exc.start}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = f"col {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "too deep"
        return bad("invalid_json", detail)
    if not isinstance(obj, dict):
        return bad("not_an_object", type(obj).__name__)
    raw_id = obj.get("id", obj.get("conversation_id"))
    cid = str(raw_id) if raw_id not in (None, "") else f"{Path(file).name}:{line}"
    if _has_nul(cid) or _is_bad_utf8(cid):
        return bad("nul_byte" if _has_nul(cid) else "invalid_utf8", "in id")
    messages = obj.get("messages")
    if messages is None:
        return bad("missing_messages", "", cid)
    if not isinstance(messages, list):
        return bad("missing_messages", type(messages).__name__, cid)
    if not messages:
        return bad("empty_conversation", "", cid)
    checked: list[Message] = []
    # Strictly decoded bytes hold no lone surrogates; only a \\u escape can smuggle one in.
    escapes = "\\u" in text
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            return bad("missing_role", f"message {i}", cid)
        result = _check_message(msg.get("role"), msg.get("content"), limits, escapes)
        if not isinstance(result, Message):
            reason, detail = result
            return bad(reason, f"message {i} {detail}".strip(), cid)
        checked.append(result)
    metadata = obj.get("metadata")
    return Transcript.model_construct(
        id=cid,
        messages=checked,
        metadata=metadata if isinstance(metadata, dict) else {},
        source=f"log:{file}:{line}",
    )


def _iter_jsonl(path: Path, file_index: int, start: Cursor, limits: IngestLimits) -> Iterator[Item]:
    name = str(path)
    with path.open("rb") as fh:
        fh.seek(start.offset)
        offset, line = start.offset, start.line
        while True:
            raw = fh.readline(limits.max_record_bytes + 1)
            if not raw:
                return
            line += 1
            offset += len(raw)
            if len(raw) > limits.max_record_bytes and not raw.endswith(b"\n"):
                # Drain the rest of the over-long line in bounded chunks.
                size = len(raw)
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(1 << 20)
                    size += len(raw)
                    offset += len(raw)
                item: Transcript | Quarantined = Quarantined(
                    name, line, "record_too_large", f"{size} bytes"
                )
                yield item, Cursor(file_index, offset, line)
                continue
            stripped = raw.strip()
            if not stripped:
                continue  # blank lines are layout, not records
            yield parse_record(stripped, name, line, limits), Cursor(file_index, offset, line)


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
            checked = _check_message(row.role, row.content, limits)
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
        if not row.cid or _has_nul(row.cid) or _is_bad_utf8(row.cid):
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
        missing = [c for c in _LONG_COLUMNS if c not in (reader.fieldnames or [])]
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
    missing = [c for c in _LONG_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{path}: long-form Parquet lacks columns {missing}")
    columns = [*_LONG_COLUMNS, *([row_column] if row_column else [])]
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


def _iter_long_form(
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


def input_format(path: Path) -> str:
    """``jsonl`` | ``csv`` | ``parquet`` by extension (``.json`` lines count as JSONL)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise ValueError(f"{path}: unsupported log format {suffix!r} (use .jsonl, .csv, .parquet)")


def iter_items(
    paths: Sequence[Path],
    *,
    start: Cursor | None = None,
    limits: IngestLimits | None = None,
    work_dir: Path | None = None,
) -> Iterator[Item]:
    """Every record of every file, in order, from ``start`` on."""
    limits = limits or IngestLimits()
    start = start or Cursor()
    for index, path in enumerate(paths):
        if index < start.file_index:
            continue
        begin = start if index == start.file_index else Cursor(index, 0, 0)
        if input_format(path) == "jsonl":
            yield from _iter_jsonl(path, index, begin, limits)
        else:
            yield from _iter_long_form(path, index, begin, limits, work_dir)


def iter_batches(
    paths: Sequence[Path],
    batch_size: int,
    *,
    start: Cursor | None = None,
    first_index: int = 0,
    limits: IngestLimits | None = None,
    work_dir: Path | None = None,
) -> Iterator[Batch]:
    """Batches of up to ``batch_size`` conversations (quarantined records ride along)."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    batch = Batch(first_index, end=start or Cursor())
    for item, cursor in iter_items(paths, start=start, limits=limits, work_dir=work_dir):
        if isinstance(item, Quarantined):
            batch.quarantined.append(item)
        else:
            batch.conversations.append(item)
        batch.end = cursor
        if len(batch.conversations) >= batch_size:
            yield batch
            batch = Batch(batch.index + 1, end=cursor)
    if batch.conversations or batch.quarantined:
        yield batch
