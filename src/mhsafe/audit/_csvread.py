"""Strict CSV reading for long-form logs: every physical line is accounted for.

Why not ``csv.DictReader`` as it is: an unterminated quote makes the csv module read the rest
of the file into one field, silently -- the red team's "audited 2, quarantined 0" for four
conversations, with a disclosure's text carried into another record's review item. Here each
record is parsed with ``strict=True`` from exactly the lines it spans. A record that fails to
parse, ends the file inside a quote, grows past the size limit, or visibly swallowed whole rows
is reported bad *at its first line*, and reading resumes at the next physical line, so the rows
it would have eaten are read as rows. The lines held for a record are bounded by the limit.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mhsafe.audit._ingest_common import InputError
from mhsafe.audit._quarantine import QuarantineReason
from mhsafe.openai_chat import UTF8_BOM


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record: its cells, or why it is not one. ``cells`` of a bad record are the
    best-effort cells of its first line alone (to find the conversation it belonged to)."""

    line: int
    last_line: int
    cells: list[str]
    reason: QuarantineReason | None = None
    detail: str = ""


class _TooLong(Exception):
    """The record being read outgrew the limit (an open quote, most likely)."""


class _Lines:
    """Physical lines of a file, with push-back, for ``csv.reader``.

    Remembers the lines of the record being parsed (``taken``) so that a bad record can hand
    all but its first line back. A class, not a generator: raising through ``csv.reader``
    must not close the line source.
    """

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh, self.limit = fh, limit
        self.pending: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.size = 0
        self.read_lines = 0  # physical lines read from the file

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            number, text = self.pending.popleft()
        else:
            raw = self.fh.readline(self.limit + 1)
            if not raw:
                raise StopIteration
            self.read_lines += 1
            number = self.read_lines
            if len(raw) > self.limit and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # drain it in bounded chunks
                    raw = self.fh.readline(1 << 20)
                self.taken.append((number, ""))
                raise _TooLong
            text = raw.decode("utf-8", errors="surrogateescape")
        self.taken.append((number, text))
        self.size += len(text)
        if self.size > self.limit:
            raise _TooLong
        return text

    def start_record(self) -> None:
        self.taken, self.size = [], 0

    def give_back(self) -> None:
        """All but the first line of the failed record go back to be read again."""
        self.pending.extendleft(reversed(self.taken[1:]))
        self.taken = self.taken[:1]


def _cells(text: str) -> list[str]:
    try:
        return next(csv.reader([text]), [])
    except csv.Error:
        return []


def skip_bom(fh: BinaryIO) -> None:
    """Skip a UTF-8 byte-order mark (Excel writes one); UTF-16/32 were refused up front."""
    if fh.read(3) != UTF8_BOM:
        fh.seek(0)


def iter_csv_records(
    path: Path, limit: int, looks_like_row: Callable[[list[str]], bool]
) -> Iterator[CsvRecord]:
    """Header first (as a record at line 1), then every record, good or bad, in file order.

    ``looks_like_row(cells)`` says whether one physical line, parsed alone, is a complete row
    of this file; a quoted multi-line field holding such a line swallowed a row (a quote
    left open earlier and closed by a later row), so it is refused as ``unterminated_quote``.
    """
    csv.field_size_limit(sys.maxsize)
    with path.open("rb") as fh:
        skip_bom(fh)
        lines = _Lines(fh, limit)
        reader = csv.reader(lines, strict=True)
        accounted = 0
        while True:
            lines.start_record()
            bad: tuple[QuarantineReason, str] | None = None
            try:
                cells = next(reader)
            except StopIteration:
                break
            except _TooLong:
                bad = ("record_too_large", f"over {limit} characters (unterminated quote?)")
            except csv.Error as exc:
                open_quote = "unexpected end of data" in str(exc)
                bad = (("unterminated_quote", "quote still open at end of file") if open_quote
                       else ("bad_csv_row", "malformed quoting"))
            if bad is None and len(lines.taken) > 1:
                swallowed = next((n for n, text in lines.taken[1:]
                                  if looks_like_row(_cells(text))), None)
                if swallowed is not None:
                    bad = ("unterminated_quote", f"quoted field swallowed the row at line "
                                                 f"{swallowed}")
            first, _ = lines.taken[0] if lines.taken else (lines.read_lines, "")
            if bad is not None:
                lines.give_back()
                accounted += 1
                yield CsvRecord(first, first, _cells(lines.taken[0][1]), bad[0], bad[1])
                continue
            accounted += len(lines.taken)
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line is layout, not a record
            yield CsvRecord(first, lines.taken[-1][0], cells)
        if accounted != lines.read_lines:
            raise InputError(f"{path}: read {lines.read_lines} lines but accounted for "
                             f"{accounted}; refusing to audit a partly read file")
