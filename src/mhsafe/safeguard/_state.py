"""Crisis mode per conversation: in memory, bounded, least-recently-used first out.

The proxy is stateless HTTP, but crisis mode must outlive one request: once someone has said
they have a plan, the next reply must not go back to small talk because the message that said
it scrolled out of the request. Two kinds of key, both scoped to the authenticated client (the
digest of its API key; ``open`` on a keyless loopback proxy), so no client can read or reset
another's state by guessing an id:

* **by history** (:func:`history_key`): the client scope, the explicit id if any, the exercise
  and *every message* of the conversation so far (roles and text, the assistant's replies
  included). A state is stored under the history its next request will carry (this request
  plus the reply the proxy gave), and looked up under the history before the latest turn.
  Two people who both open with "hi" never share more than the identical history they both
  sent, and the same conversation gets the same decision however often it is sent (a second
  epoch, a client retry). An unknown history is rebuilt from the turns it carries.
* **by explicit id** (:func:`conversation_key`): the request's ``metadata.conversation_id`` or
  ``user``, scoped to the client. It holds the conversation's latest state and how it opened
  (:func:`opening_key`), so crisis mode survives a client that trims its history: when the
  history is unknown, the request does not open as the conversation did (its beginning
  scrolled out), and the id's latest state is in crisis mode, the conversation stays in it;
  only one of its own later turns (by the configured exit rule) takes it out. A request that
  opens as the conversation did is the whole history, edited or replayed (a second epoch):
  it gets the state its own turns give, so a replay is decided as the first run was.

A bounded LRU keeps memory flat under any traffic; an evicted conversation is rebuilt from its
history (the guard re-screens earlier user turns when it has no state).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mhsafe.schema import Message


@dataclass
class CrisisState:
    """One conversation's crisis mode: since which user turn, why, clear turns since."""

    active: bool = False
    since_turn: int | None = None
    reason: str | None = None
    clear_turns: int = 0
    #: explicit-id records only: :func:`opening_key` of the request that began the conversation
    opening: str | None = None


def given_id(user: str | None, metadata: Mapping[str, Any] | None) -> str | None:
    """The caller's conversation id (``metadata.conversation_id``, then ``user``), or None."""
    given = (metadata or {}).get("conversation_id") or user
    if isinstance(given, str) and given.strip():
        return given.strip()[:200]
    return None


def conversation_id(
    messages: Sequence[Message],
    user: str | None,
    metadata: Mapping[str, Any] | None,
    client: str | None = None,
) -> str:
    """The id the proxy shows and logs: the caller's id when given (prefixed with the client's
    tag when the proxy authenticates clients, so two clients' ``"1"`` stay two conversations in
    the log), else ``h-`` and a hash of the system prompt and first user turn.

    The hash is a display and grouping id only, never a state key: two conversations that open
    alike share it, and :func:`mhsafe.safeguard.compact_log` keeps both (it drops a line only
    when a later one continues it)."""
    given = given_id(user, metadata)
    if given is not None:
        return f"{client}/{given}" if client else given
    system = next((m.content for m in messages if m.role == "system"), "")
    first = next((m.content for m in messages if m.role == "user"), "")
    digest = hashlib.sha256(f"{client or ''}\x1f{system}\x1f{first}".encode(
        "utf-8", "surrogatepass")).hexdigest()[:24]
    return f"h-{digest}"


def _digest(*parts: str) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part.encode("utf-8", "surrogatepass"))
        hashed.update(b"\x1e")
    return hashed.hexdigest()[:32]


def history_key(
    scope: str, given: str | None, exercise: str | None, messages: Sequence[Message]
) -> str:
    """The key of the state reached after ``messages`` (the whole conversation so far) of the
    conversation ``given`` (None: no explicit id) of client ``scope`` under ``exercise``."""
    parts = [f"{m.role}:{m.content}" for m in messages]
    return "h:" + _digest(scope, given or "", exercise or "", *parts)


def opening_key(messages: Sequence[Message]) -> str:
    """Digest of a request's opening: every message up to and including its first user turn.
    A request that opens as its conversation did carries the whole history (an edit or a
    fork of it, never a trimmed window); one that opens differently may be a window whose
    beginning scrolled out."""
    first = next((i for i, m in enumerate(messages) if m.role == "user"), len(messages) - 1)
    return _digest(*(f"{m.role}:{m.content}" for m in messages[:first + 1]))


def conversation_key(scope: str, given: str) -> str:
    """The key of an explicit id's latest state, scoped to the client."""
    return "c:" + _digest(scope, given)


class CrisisModes:
    """A bounded, thread-safe map conversation id -> :class:`CrisisState`."""

    def __init__(self, max_conversations: int = 10_000) -> None:
        self._max = max_conversations
        self._states: OrderedDict[str, CrisisState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CrisisState | None:
        """The state, or None when unknown (new, or evicted: the caller rebuilds it)."""
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states.move_to_end(key)
            return state

    def put(self, key: str, state: CrisisState) -> None:
        with self._lock:
            self._states[key] = state
            self._states.move_to_end(key)
            while len(self._states) > self._max:
                self._states.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)


__all__ = ["CrisisModes", "CrisisState", "conversation_id", "conversation_key", "given_id",
           "history_key", "opening_key"]
