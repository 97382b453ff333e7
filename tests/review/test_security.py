"""Passwords, signed sessions with server-side expiry, CSRF comparison, login rate limit."""

from __future__ import annotations

from mhsafe.review._security import (
    LoginRateLimiter,
    SessionCodec,
    csrf_ok,
    hash_password,
    password_problem,
    verify_password,
)


class Clock:
    """A hand-driven clock so expiry and windows are tested without sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_argon2_hash_verifies_only_the_right_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password("not-a-hash", "correct horse battery")
    assert hash_password("same") != hash_password("same")  # salted


def test_password_rule_is_length() -> None:
    assert password_problem("short") is not None
    assert password_problem("long enough pw") is None


def test_session_round_trip_and_tampering() -> None:
    codec = SessionCodec("secret", ttl_s=60)
    data = codec.new(7)
    cookie = codec.encode(data)
    assert codec.decode(cookie) == data
    assert codec.decode(cookie[:-2] + "xx") is None
    assert SessionCodec("another secret", ttl_s=60).decode(cookie) is None
    assert codec.decode(None) is None
    assert codec.decode("garbage") is None


def test_session_expires_on_the_server_clock() -> None:
    clock = Clock()
    codec = SessionCodec("secret", ttl_s=60, clock=clock)
    cookie = codec.encode(codec.new(1))
    clock.now += 59
    assert codec.decode(cookie) is not None
    clock.now += 2
    assert codec.decode(cookie) is None


def test_revoked_session_is_refused_and_new_sessions_differ() -> None:
    codec = SessionCodec("secret", ttl_s=60)
    first, second = codec.new(1), codec.new(1)
    assert first.sid != second.sid and first.csrf != second.csrf
    codec.revoke(first)
    assert codec.decode(codec.encode(first)) is None
    assert codec.decode(codec.encode(second)) == second


def test_csrf_comparison() -> None:
    assert csrf_ok("abc", "abc")
    assert not csrf_ok("abc", "abd")
    assert not csrf_ok("abc", None)
    assert not csrf_ok("abc", "")
    assert not csrf_ok("", "")


def test_rate_limit_blocks_after_limit_and_slides() -> None:
    clock = Clock()
    limiter = LoginRateLimiter(limit=3, window_s=100, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("Ann", "1.2.3.4") == 0
        limiter.failed("Ann", "1.2.3.4")
    assert limiter.retry_after("ann", "1.2.3.4") == 100  # case-insensitive username
    assert limiter.retry_after("ann", "5.6.7.8") == 0  # keyed by client address too
    assert limiter.retry_after("bob", "1.2.3.4") == 0
    clock.now += 101
    assert limiter.retry_after("ann", "1.2.3.4") == 0


def test_success_clears_failures() -> None:
    limiter = LoginRateLimiter(limit=2, window_s=100, clock=Clock())
    limiter.failed("ann", "ip")
    limiter.succeeded("ann", "ip")
    limiter.failed("ann", "ip")
    assert limiter.retry_after("ann", "ip") == 0
