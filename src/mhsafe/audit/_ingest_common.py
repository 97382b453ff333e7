"""Shared ingest types and per-message validation (JSONL and long form use the same rules).

Why one place: an id, a role word or a turn number must mean the same thing whichever file
format it came in, or the same conversation could be audited in one format and quarantined
(or, worse, silently cleared) in another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mhsafe.audit._quarantine import Quarantined, QuarantineReason
from mhsafe.openai_chat import (
    MAX_ID_CHARS,
    ROLES,
    canonical_role,
    check_id,
    has_nul,
    is_bad_utf8,
    read_message,
)
from mhsafe.schema import Message, Transcript

# Roles, content parts, ids and the per-message checks are the one adapter's
# (mhsafe.openai_chat): the audit, `mhsafe judge` and the proxy read a turn the same way.
_ROLES = set(ROLES)
LONG_COLUMNS = ("conversation_id", "turn", "role", "content")


class InputError(ValueError):
    """An input that cannot be read at all (not one bad record): named file, and line where
    there is one. Raised before anything is written whenever it can be detected up front."""


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Where the audit's fields live in someone else's log (``--fields``/``--roles``).

    ``roles`` maps the log's role words to ``user``/``assistant``/``system``; the canonical
    words keep their meaning. A word neither knows is quarantined (``unknown_role``): guessing
    who spoke could turn a disclosure into an assistant turn nobody screens.
    """

    conversation_id: str = "conversation_id"
    turn: str = "turn"
    role: str = "role"
    content: str = "content"
    messages: str = "messages"
    id_explicit: bool = False  # JSONL: only the named key (not also "id") holds the id
    roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, fields: Mapping[str, str], roles: Mapping[str, str]) -> FieldMap:
        """Validated mappings: unknown field names or target roles are an error up front."""
        known = {"conversation_id", "turn", "role", "content", "messages"}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise InputError(f"--fields: unknown field(s) {unknown}; use {sorted(known)}")
        bad_roles = sorted(v for v in roles.values() if v not in _ROLES)
        if bad_roles:
            raise InputError(f"--roles: targets must be user, assistant or system, got {bad_roles}")
        empty = sorted(k for k, v in fields.items() if not v.strip())
        if empty:
            raise InputError(f"--fields: no column named for {empty}")
        base = cls()
        return cls(
            conversation_id=fields.get("conversation_id", base.conversation_id),
            turn=fields.get("turn", base.turn),
            role=fields.get("role", base.role),
            content=fields.get("content", base.content),
            messages=fields.get("messages", base.messages),
            id_explicit="conversation_id" in fields,
            roles={k.strip().lower(): v for k, v in roles.items()},
        )

    def long_columns(self) -> tuple[str, str, str, str]:
        """The long-form column names, in ``LONG_COLUMNS`` order."""
        return (self.conversation_id, self.turn, self.role, self.content)


def parse_turn(value: Any) -> int | None:
    """A turn number: an integer, an integral float (Parquet writers often widen), or the text
    of either. ``None`` for anything else, which quarantines the conversation (``bad_turn``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Size limits. A 10 MB "message" is a paste or a bug, not a chat turn, and auditing it
    would stall the screen; a line longer than ``max_record_bytes`` is skipped without ever
    being held in memory whole."""

    max_message_bytes: int = 1_000_000
    max_record_bytes: int = 32_000_000
    max_id_chars: int = MAX_ID_CHARS


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


def check_message(
    role: Any, content: Any, limits: IngestLimits, check_utf8: bool = True,
    roles: Mapping[str, str] | None = None,
) -> tuple[QuarantineReason, str] | Message:
    """One turn, validated by the shared adapter; the reason code instead when it cannot be
    audited."""
    return read_message(role, content, roles=roles, check_utf8=check_utf8,
                        max_bytes=limits.max_message_bytes)


def no_user_turn(messages: list[Message]) -> bool:
    """True when nothing in the conversation would be screened for a disclosure."""
    return not any(m.role == "user" for m in messages)


__all__ = [
    "LONG_COLUMNS",
    "MAX_ID_CHARS",
    "Batch",
    "Cursor",
    "FieldMap",
    "IngestLimits",
    "InputError",
    "Item",
    "canonical_role",
    "check_id",
    "check_message",
    "has_nul",
    "is_bad_utf8",
    "no_user_turn",
    "parse_turn",
]
