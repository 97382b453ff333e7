"""Passwords, sessions, CSRF tokens, the login rate limit and the client's address.

Why each piece looks the way it does:

* Passwords are hashed with argon2id (argon2-cffi defaults): a leaked database must not give
  away clinicians' passwords. Verification is constant-time inside argon2, and a login for an
  unknown (or inactive) account verifies against a dummy hash of the same cost, so the response
  time does not tell which usernames exist. What a password must be: ``_passwords``.
* A session is a cookie signed with itsdangerous and carrying its own issue time and the
  account's *session version*; the server refuses it after ``ttl_s`` whatever the browser
  claims, and refuses it once the account's version has moved on (logout, password reset,
  deactivation -- stored in the user row, so that survives a restart). The anonymous session
  that carries the login form's CSRF token is revoked in memory at login (it grants nothing).
* The client address used for the rate limit and the audit trail is the TCP peer; an
  ``X-Forwarded-For`` header is believed only when the peer is a configured trusted proxy,
  otherwise anyone could pick a fresh address per attempt.
* Every session (anonymous ones too, for the login form) carries a random CSRF token; every POST
  must echo it. Comparison is constant-time.
* Failed logins are counted per (username, client address) in a sliding window; past the limit
  the login is refused with 429 even with the right password, until the window slides.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mhsafe.review._passwords import MIN_PASSWORD_LENGTH, password_problem

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "LoginRateLimiter",
    "SessionCodec",
    "SessionData",
    "check_login_password",
    "client_address",
    "csrf_ok",
    "hash_password",
    "password_problem",
    "verify_password",
]

_HASHER = PasswordHasher()
_DUMMY: dict[int, str] = {}
_DUMMY_LOCK = threading.Lock()


def hash_password(password: str) -> str:
    """argon2id hash of ``password`` (salted; the salt lives inside the hash string)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True only when ``password`` matches; a malformed hash counts as a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters (so verifying it costs the same as a
    real one); made once per hasher."""
    with _DUMMY_LOCK:
        key = id(_HASHER)
        if key not in _DUMMY:
            _DUMMY.clear()
            _DUMMY[key] = _HASHER.hash(secrets.token_urlsafe(24))
        return _DUMMY[key]


def check_login_password(password_hash: str | None, password: str) -> bool:
    """Verify ``password``; with no account (``password_hash`` None) verify it against a dummy
    hash anyway and return False, so both cases cost one argon2 verification."""
    if password_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: frozenset[str]
) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy, in which case
    the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries to its
    left were written by the client and prove nothing)."""
    address = peer or "unknown"
    if address not in trusted_proxies or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted_proxies:
            return hop[:64]
    return address


@dataclass(frozen=True)
class SessionData:
    """What a session cookie says: who (None: not logged in), its id, its CSRF token, and the
    account's session version when it was issued."""

    user_id: int | None
    sid: str
    csrf: str
    issued_at: float
    version: int = 0


class SessionCodec:
    """Signs and checks session cookies; keeps the in-memory list of revoked sessions."""

    def __init__(self, secret_key: str, ttl_s: int, clock: Callable[[], float] = time.time):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="mhsafe-review-session")
        self.ttl_s = ttl_s
        self._clock = clock
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def new(self, user_id: int | None, version: int = 0) -> SessionData:
        """A fresh session with new id and CSRF token (login rotates both: no fixation)."""
        return SessionData(
            user_id=user_id,
            sid=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(32),
            issued_at=self._clock(),
            version=version,
        )

    def encode(self, data: SessionData) -> str:
        """The signed cookie value."""
        payload = {"u": data.user_id, "s": data.sid, "c": data.csrf, "t": data.issued_at,
                   "v": data.version}
        return self._serializer.dumps(payload)

    def decode(self, cookie: str | None) -> SessionData | None:
        """The session in ``cookie``, or None when absent, forged, expired or revoked."""
        if not cookie:
            return None
        try:
            raw = self._serializer.loads(cookie)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(raw, dict):
            return None
        try:
            data = SessionData(
                user_id=None if raw.get("u") is None else int(raw["u"]),
                sid=str(raw["s"]),
                csrf=str(raw["c"]),
                issued_at=float(raw["t"]),
                version=int(raw.get("v", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None
        # Server-side expiry: our own clock and our own TTL decide, not the cookie's Max-Age.
        if self._clock() - data.issued_at > self.ttl_s:
            return None
        with self._lock:
            if data.sid in self._revoked:
                return None
        return data

    def revoke(self, data: SessionData) -> None:
        """Forget ``data`` in this process (the anonymous login-form session). Old entries are
        pruned once they would have expired anyway, so the list stays small."""
        now = self._clock()
        with self._lock:
            self._revoked[data.sid] = data.issued_at
            stale = [sid for sid, t in self._revoked.items() if now - t > self.ttl_s]
            for sid in stale:
                del self._revoked[sid]


def csrf_ok(expected: str, submitted: str | None) -> bool:
    """Constant-time CSRF check; a missing token never matches."""
    if not submitted or not expected:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


class LoginRateLimiter:
    """Sliding-window count of failed logins per (username, client address).

    In memory and per process: enough for the single-process app this is, and it needs no
    table. ``limit`` failures within ``window_s`` block further attempts until the oldest
    failure leaves the window; a success clears that key's history.
    """

    def __init__(
        self, limit: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: tuple[str, str], now: float) -> deque[float]:
        window = self._failures.setdefault(key, deque())
        while window and now - window[0] > self.window_s:
            window.popleft()
        return window

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        key = (username.strip().lower(), client)
        now = self._clock()
        with self._lock:
            window = self._prune(key, now)
            if len(window) < self.limit:
                return 0.0
            return max(0.0, self.window_s - (now - window[0]))

    def failed(self, username: str, client: str) -> None:
        """Record one failed attempt."""
        key = (username.strip().lower(), client)
        now = self._clock()
        with self._lock:
            self._prune(key, now).append(now)

    def succeeded(self, username: str, client: str) -> None:
        """A correct login clears the key's failures."""
        with self._lock:
            self._failures.pop((username.strip().lower(), client), None)
