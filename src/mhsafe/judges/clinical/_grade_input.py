"""The file `mhsafe judge FILE` grades, checked as a whole before any line is read.

A line that cannot be read is quarantined and still written (``_grade.py``); a *file* that
cannot be read is refused with one sentence naming it: missing, a folder, unreadable, empty,
UTF-16/32 (every line would otherwise be quarantined for NUL bytes, and the summary would
read as if the replies were bad rather than the file), or not UTF-8 on any line. Lines are
split on ``\\n`` only -- as the audit and the test-set loaders split them -- because
``str.splitlines`` also breaks inside a JSON string at U+2028, ``\\x0c`` or ``\\x85`` and
would shift every later line number.
"""

from __future__ import annotations

from pathlib import Path

from mhsafe.openai_chat import UTF8_BOM, foreign_encoding


class GradeInputError(ValueError):
    """The file to grade cannot be read as a whole; the message names it."""


def _decodes(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def grade_lines(path: Path) -> list[bytes]:
    """The lines of ``path`` (a UTF-8 byte-order mark dropped), split on ``\\n`` only, for
    ``read_records``. Raises ``GradeInputError`` when the file as a whole cannot be graded."""
    if not path.exists():
        raise GradeInputError(f"{path}: no such file")
    if not path.is_file():
        raise GradeInputError(f"{path}: not a regular file (a directory?); give the JSONL file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GradeInputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})"
                              ) from None
    foreign = foreign_encoding(data[:4096])
    if foreign is not None:
        raise GradeInputError(f"{path} line 1: text is {foreign}; re-save it as UTF-8")
    lines = data.removeprefix(UTF8_BOM).split(b"\n")
    filled = [line for line in lines if line.strip()]
    if not filled:
        raise GradeInputError(f"{path}: empty (no lines to grade); one JSON object a line "
                              "with id, messages and response")
    if not any(_decodes(line) for line in filled):
        raise GradeInputError(f"{path}: not UTF-8 text on any line; re-save it as UTF-8")
    return lines
