"""OpenAI chat messages -> :class:`~mhsafe.schema.Message`, and the one reader of a chat line.

Why one adapter: the audit (logs), ``mhsafe judge`` (replies to grade) and the proxy (live
requests) all read conversations in OpenAI's chat shape. Three copies had drifted apart: one
dropped a turn whose role was ``User``, one ignored ``input_text`` parts, one turned an unknown
role into silence and then graded the rest as if nothing had been said. A disclosure hidden
that way is exactly what every one of those callers exists to find, so the rules live here once:

* roles: ``user``/``assistant``/``system``, case and surrounding spaces ignored; the known alias
  ``developer`` (OpenAI's newer name for the system role) and any caller-given mapping map;
  anything else (``tool``, ``function``, a missing role) is a *problem*, never a guess -- the
  audit quarantines the record, the proxy answers 400;
* content: a string, or a list of content parts of which every part type that carries text
  (``text``, ``input_text``, ``output_text``) is read; a list with no text part, or a part whose
  text is not a string, is ``content_not_text`` (an image the screen cannot read is not "no
  risk");
* a problem is a ``(reason, detail)`` pair; the detail is text-free (an index, a role word cut
  to 32 characters, a size), so it can be logged and shown.

:func:`read_line` is the JSONL record reader built on these rules (``mhsafe audit`` wraps it
with file and line numbers; ``mhsafe judge`` reads its grading records with it). It imports
nothing of ours but :mod:`mhsafe.schema`, so every room may use it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from mhsafe.schema import Message, Role

ROLES: tuple[Role, ...] = get_args(Role)
#: Role words with a fixed meaning beyond the three canonical ones.
ROLE_ALIASES: Mapping[str, Role] = {"developer": "system"}
#: OpenAI content-part types whose ``text`` field is what the person (or model) wrote.
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})
#: Conversation ids must fit the store's 200-character column.
MAX_ID_CHARS = 200

MessageProblem = Literal[
    "missing_role",
    "unknown_role",
    "missing_content",
    "content_not_text",
    "nul_byte",
    "invalid_utf8",
    "message_too_large",
]
LineProblem = (
    MessageProblem
    | Literal[
        "invalid_json",
        "not_an_object",
        "missing_messages",
        "empty_conversation",
        "bad_id",
        "id_too_long",
        "no_user_turn",
    ]
)
IdProblem = Literal["bad_id", "id_too_long", "nul_byte", "invalid_utf8"]


class ChatFormatError(ValueError):
    """Messages that cannot be read; ``reason`` and ``detail`` carry no conversation text."""

    def __init__(self, reason: LineProblem, detail: str = "") -> None:
        super().__init__(f"{reason} {detail}".strip())
        self.reason: LineProblem = reason
        self.detail = detail


#: The byte-order mark Windows tools put in front of UTF-8 text; readers drop it.
UTF8_BOM = b"\xef\xbb\xbf"

# Byte-order marks of encodings a UTF-8 reader would misread (UTF-32 first: its LE mark
# begins with UTF-16's).
_FOREIGN_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32-LE"), (b"\x00\x00\xfe\xff", "UTF-32-BE"),
                 (b"\xff\xfe", "UTF-16-LE"), (b"\xfe\xff", "UTF-16-BE"))


def foreign_encoding(head: bytes) -> str | None:
    """UTF-16/32 named from its byte-order mark, or guessed from NUL bytes (ASCII text in
    UTF-16 is every other byte NUL; no UTF-8 text file holds that many). ``None``: UTF-8 is
    worth trying. One rule for every reader, so a file is refused with the same words by
    the audit, the test-set loader and ``mhsafe judge``."""
    named = next((enc for bom, enc in _FOREIGN_BOMS if head.startswith(bom)), None)
    if named is None and len(head) >= 4 and head.count(b"\x00") * 4 >= len(head):
        named = "UTF-16 or UTF-32 (no byte-order mark)"
    return named


def has_nul(value: str) -> bool:
    """NUL bytes: PostgreSQL text cannot hold them, and no chat turn needs one."""
    return "\x00" in value


def is_bad_utf8(value: str) -> bool:
    """Lone surrogates (a ``\\ud800`` escape in JSON, or ``surrogateescape`` decoding of
    invalid bytes): such a string cannot be written as UTF-8 anywhere downstream."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def canonical_role(role: str, roles: Mapping[str, str] | None = None) -> Role | None:
    """``user``/``assistant``/``system`` for a role word (case and spaces ignored), or None.

    ``roles`` (the caller's mapping, keys lower-case) wins over the built-in aliases."""
    word = role.strip().lower()
    mapped = roles.get(word) if roles else None
    word = mapped if mapped is not None else ROLE_ALIASES.get(word, word)
    for known in ROLES:
        if word == known:
            return known
    return None


def content_text(content: Any) -> str | None:
    """The text of an OpenAI ``content``: a string, or the text-carrying parts of a part list
    joined by newlines; None when there is no text to read (see the module docstring)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts: list[str] = []
    for part in content:
        if isinstance(part, dict) and part.get("type") in TEXT_PART_TYPES:
            text = part.get("text")
            if not isinstance(text, str):
                return None
            texts.append(text)
    return "\n".join(texts) if texts else None


def read_message(
    role: Any,
    content: Any,
    *,
    roles: Mapping[str, str] | None = None,
    check_utf8: bool = True,
    max_bytes: int | None = None,
) -> Message | tuple[MessageProblem, str]:
    """One turn as a :class:`Message`, or the problem that stops it being read."""
    if role is None or role == "":
        return ("missing_role", "")
    if not isinstance(role, str):
        return ("unknown_role", type(role).__name__)
    canonical = canonical_role(role, roles)
    if canonical is None:
        return ("unknown_role", "unreadable" if is_bad_utf8(role) else role.strip()[:32])
    if content is None:
        return ("missing_content", "")
    text = content_text(content)
    if text is None:
        return ("content_not_text", type(content).__name__)
    if has_nul(text):
        return ("nul_byte", "")
    if check_utf8 and is_bad_utf8(text):
        return ("invalid_utf8", "")
    if max_bytes is not None:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return ("message_too_large", f"{size} bytes")
    return Message.model_construct(role=canonical, content=text)


def read_messages(
    raw: Any,
    *,
    roles: Mapping[str, str] | None = None,
    role_key: str = "role",
    content_key: str = "content",
    check_utf8: bool = True,
    max_bytes: int | None = None,
) -> list[Message] | tuple[LineProblem, str]:
    """An OpenAI ``messages`` list, every turn read or the first problem (detail names the
    message index: ``message 3 tool``)."""
    if raw is None:
        return ("missing_messages", "")
    if not isinstance(raw, list):
        return ("missing_messages", type(raw).__name__)
    if not raw:
        return ("empty_conversation", "")
    out: list[Message] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            return ("missing_role", f"message {index}")
        result = read_message(item.get(role_key), item.get(content_key), roles=roles,
                              check_utf8=check_utf8, max_bytes=max_bytes)
        if not isinstance(result, Message):
            reason, detail = result
            return (reason, f"message {index} {detail}".strip())
        out.append(result)
    return out


def to_messages(raw: Any, *, max_bytes: int | None = None) -> list[Message]:
    """:func:`read_messages` for a caller that answers problems with an error (the proxy):
    raises :class:`ChatFormatError`."""
    result = read_messages(raw, max_bytes=max_bytes)
    if isinstance(result, tuple):
        raise ChatFormatError(*result)
    return result


def check_id(raw: Any, limit: int = MAX_ID_CHARS) -> str | tuple[IdProblem, str]:
    """A conversation id as a string, or why it cannot be one.

    Ids are strings end to end: ``5`` and ``"5"`` are the same id. Only strings and integers
    are ids; a float, a bool or an object is refused rather than stringified into something
    no one can look up."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return ("bad_id", type(raw).__name__)
    cid = raw if isinstance(raw, str) else str(raw)
    if has_nul(cid):
        return ("nul_byte", "in id")
    if is_bad_utf8(cid):
        return ("invalid_utf8", "in id")
    if len(cid) > limit:
        return ("id_too_long", f"{len(cid)} chars > {limit}")
    return cid


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One readable record: its id (None when it has none), its messages, the whole object
    (for the caller's own fields: ``metadata``, ``response``, ``tier``)."""

    conversation_id: str | None
    messages: list[Message]
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """Why a record cannot be read (text-free), with its id when that much was readable.

    ``id_read``: the problem came after the id was read (a record without an id then gets
    the caller's default id, as every other record of that file does)."""

    reason: LineProblem
    detail: str = ""
    conversation_id: str | None = None
    id_read: bool = False


def _raw_id(obj: dict[str, Any], id_key: str | None) -> Any:
    """The named key, or (``id_key`` None) ``id`` and then ``conversation_id``."""
    if id_key is not None:
        return obj.get(id_key)
    return obj.get("id", obj.get("conversation_id"))


def read_line(
    raw: bytes,
    *,
    id_key: str | None = None,
    messages_key: str = "messages",
    role_key: str = "role",
    content_key: str = "content",
    roles: Mapping[str, str] | None = None,
    max_message_bytes: int | None = 1_000_000,
    max_id_chars: int = MAX_ID_CHARS,
) -> ChatLine | RejectedLine:
    """One JSONL line (``{"id", "messages", ...}``) -> :class:`ChatLine`, or the problem.

    Strict UTF-8, no NUL byte, a JSON object (a nesting too deep to parse is ``invalid_json``,
    not a crash), a readable id when one is given, every message readable and at least one
    user turn (without one nothing could be screened, and "no risk" would be a guess)."""
    if b"\x00" in raw:
        return RejectedLine("nul_byte")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RejectedLine("invalid_utf8", f"byte {exc.start}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = f"col {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "too deep"
        return RejectedLine("invalid_json", detail)
    except ValueError:  # e.g. an integer longer than Python's digit limit
        return RejectedLine("invalid_json", "bad number")
    if not isinstance(obj, dict):
        return RejectedLine("not_an_object", type(obj).__name__)
    cid: str | None = None
    given = _raw_id(obj, id_key)
    if given not in (None, ""):
        checked = check_id(given, max_id_chars)
        if not isinstance(checked, str):
            return RejectedLine(*checked)
        cid = checked
    # Strictly decoded bytes hold no lone surrogates; only a \u escape can smuggle one in.
    messages = read_messages(obj.get(messages_key), roles=roles, role_key=role_key,
                             content_key=content_key, check_utf8="\\u" in text,
                             max_bytes=max_message_bytes)
    if isinstance(messages, tuple):
        return RejectedLine(messages[0], messages[1], cid, id_read=True)
    if not any(m.role == "user" for m in messages):
        return RejectedLine("no_user_turn", "", cid, id_read=True)
    return ChatLine(cid, messages, obj)


__all__ = [
    "MAX_ID_CHARS",
    "ROLES",
    "ROLE_ALIASES",
    "TEXT_PART_TYPES",
    "UTF8_BOM",
    "ChatFormatError",
    "ChatLine",
    "IdProblem",
    "LineProblem",
    "MessageProblem",
    "RejectedLine",
    "canonical_role",
    "check_id",
    "content_text",
    "foreign_encoding",
    "has_nul",
    "is_bad_utf8",
    "read_line",
    "read_message",
    "read_messages",
    "to_messages",
]
