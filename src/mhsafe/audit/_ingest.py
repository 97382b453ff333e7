"""Streaming readers for deployment logs: JSONL (OpenAI ``messages``) and long-form CSV/Parquet.

Why streaming with explicit cursors: a production log can be larger than memory, and an audit
that dies at 90 % must resume where it stopped. Every item a reader yields carries the
:class:`Cursor` *after* it, so the checkpoint can record exactly how far the input was
consumed and a resumed run seeks there (a byte offset for JSONL; a row count for long form).

Bad records never stop the read: they come out as :class:`Quarantined` items in the same stream,
in input order, so batch boundaries and checkpoints treat them like any other record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from mhsafe.audit._ingest_common import (
    Batch,
    Cursor,
    FieldMap,
    IngestLimits,
    InputError,
    Item,
)
from mhsafe.audit._ingest_trace import is_otel_export, iter_inspect_log, iter_otel_export
from mhsafe.audit._longform import iter_long_form, needs_sort, sort_long_form
from mhsafe.audit._quarantine import Quarantined
from mhsafe.openai_chat import UTF8_BOM, RejectedLine, foreign_encoding, read_line
from mhsafe.schema import Transcript

__all__ = ["Batch", "Cursor", "FieldMap", "IngestLimits", "InputError", "check_inputs",
           "iter_batches", "iter_items", "needs_sort", "parse_record", "sort_long_form"]

def parse_record(
    raw: bytes, file: str, line: int, limits: IngestLimits, fields: FieldMap | None = None
) -> Transcript | Quarantined:
    """One JSONL line -> a transcript, or the reason it cannot be audited.

    The reading itself is the shared adapter's (:func:`mhsafe.openai_chat.read_line`, also used
    by ``mhsafe judge``); this adds the file and line. A record without an ``id`` gets
    ``<file>:<line>`` so every finding stays traceable.
    """
    fields = fields or FieldMap()
    read = read_line(
        raw,
        id_key=fields.conversation_id if fields.id_explicit else None,
        messages_key=fields.messages,
        role_key=fields.role,
        content_key=fields.content,
        roles=fields.roles,
        max_message_bytes=limits.max_message_bytes,
        max_id_chars=limits.max_id_chars,
    )
    if isinstance(read, RejectedLine):
        cid = read.conversation_id
        if cid is None and read.id_read:
            cid = f"{Path(file).name}:{line}"
        return Quarantined(file, line, read.reason, read.detail, cid)
    metadata = read.record.get("metadata")
    return Transcript.model_construct(
        id=read.conversation_id or f"{Path(file).name}:{line}",
        messages=read.messages,
        metadata=metadata if isinstance(metadata, dict) else {},
        source=f"log:{file}:{line}",
    )


def _iter_jsonl(path: Path, file_index: int, start: Cursor, limits: IngestLimits,
                fields: FieldMap) -> Iterator[Item]:
    name = str(path)
    with path.open("rb") as fh:
        fh.seek(start.offset)
        offset, line = start.offset, start.line
        while True:
            raw = fh.readline(limits.max_record_bytes + 1)
            if not raw:
                return
            if offset == 0 and raw.startswith(UTF8_BOM) and raw[len(UTF8_BOM):].strip():
                raw = raw[len(UTF8_BOM):]  # Windows tools mark UTF-8 this way
                offset += len(UTF8_BOM)
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
            yield (parse_record(stripped, name, line, limits, fields),
                   Cursor(file_index, offset, line))


def input_format(path: Path) -> str:
    """``jsonl`` | ``csv`` | ``parquet`` | ``inspect`` (an Inspect ``.eval`` log) | ``otel``
    (an OTLP JSON trace export, ``*.otlp.json``) by name; other ``.json`` files are JSONL."""
    suffix = path.suffix.lower()
    if suffix == ".eval":
        return "inspect"
    if is_otel_export(path):
        return "otel"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise InputError(f"{path}: unsupported log format {suffix!r} (use .jsonl, .csv, .parquet, "
                     ".eval, .otlp.json)")


def check_inputs(paths: Sequence[Path]) -> None:
    """Refuse, before anything is written, inputs that cannot be read at all: no inputs, a
    missing file, a directory, an unknown format, or text in UTF-16/32 (named, so the fix --
    re-save as UTF-8 -- is obvious). A UTF-8 byte-order mark is fine."""
    if not paths:
        raise InputError("no log files given")
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_file():
            raise InputError(f"{path}: not a regular file (a directory?); give the log files "
                             "themselves")
        kind = input_format(path)
        if kind in ("parquet", "inspect"):  # binary formats: their readers check them
            continue
        with path.open("rb") as fh:
            head = fh.read(4096)
        encoding = foreign_encoding(head)
        if encoding is not None:
            raise InputError(f"{path} line 1: text is {encoding}; re-save it as UTF-8")


def iter_items(
    paths: Sequence[Path],
    *,
    start: Cursor | None = None,
    limits: IngestLimits | None = None,
    work_dir: Path | None = None,
    fields: FieldMap | None = None,
) -> Iterator[Item]:
    """Every record of every file, in order, from ``start`` on."""
    limits = limits or IngestLimits()
    fields = fields or FieldMap()
    start = start or Cursor()
    for index, path in enumerate(paths):
        if index < start.file_index:
            continue
        begin = start if index == start.file_index else Cursor(index, 0, 0)
        kind = input_format(path)
        if kind == "jsonl":
            yield from _iter_jsonl(path, index, begin, limits, fields)
        elif kind == "inspect":
            yield from iter_inspect_log(path, index, begin, limits, fields)
        elif kind == "otel":
            yield from iter_otel_export(path, index, begin, limits, fields)
        else:
            yield from iter_long_form(path, index, begin, limits, work_dir, fields)


def iter_batches(
    paths: Sequence[Path],
    batch_size: int,
    *,
    start: Cursor | None = None,
    first_index: int = 0,
    limits: IngestLimits | None = None,
    work_dir: Path | None = None,
    fields: FieldMap | None = None,
) -> Iterator[Batch]:
    """Batches of up to ``batch_size`` conversations (quarantined records ride along)."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    batch = Batch(first_index, end=start or Cursor())
    for item, cursor in iter_items(paths, start=start, limits=limits, work_dir=work_dir,
                                   fields=fields):
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
