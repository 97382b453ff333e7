"""Bad records: where they go and what is said about them.

A log file from production is never clean. Rather than stop at the first bad line (and audit
nothing) or skip it silently (and claim a coverage we do not have), every record that cannot be
audited is written to ``OUT/quarantine.jsonl`` with its file, line and a reason code, and the
summary counts it. The entry never carries the record's text: a quarantined line may hold
exactly the disclosure the audit exists to find, and it must not leak into a second file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

QuarantineReason = Literal[
    "invalid_utf8",
    "nul_byte",
    "invalid_json",
    "not_an_object",
    "missing_messages",
    "empty_conversation",
    "missing_role",
    "unknown_role",
    "missing_content",
    "content_not_text",
    "bad_turn",
    "message_too_large",
    "record_too_large",
    "missing_column",
    # strict long-form CSV parsing: a row that is not a CSV record of the header's width
    "bad_csv_row",
    "unterminated_quote",
    # ids are strings end to end and must fit the store (see _ids)
    "bad_id",
    "id_too_long",
    "duplicate_id",
    # no user turn: nothing could be screened, so "no risk" would be a guess (a role mapping
    # that turned the person into the assistant looks exactly like this)
    "no_user_turn",
]


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One record that was not audited.

    ``line`` is the 1-based physical line for JSONL and CSV (the line where the record or the
    offending row starts) and the 1-based row number for Parquet. ``detail`` is a short,
    text-free note (a JSON error position, the bad role's name, a size) -- never content.
    """

    file: str
    line: int
    reason: QuarantineReason
    detail: str = ""
    conversation_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The quarantine.jsonl row."""
        return asdict(self)


def count_reasons(items: list[Quarantined]) -> Counter[str]:
    """Reason code -> count, for the summary (the file itself keeps the per-line detail)."""
    return Counter(item.reason for item in items)
