"""Client authentication for the proxy: bearer keys, and no open proxy off loopback.

Conversations are health data, and a reachable proxy with no key is an open relay to the model
behind it (and to its bill). So the rule is simple and enforced before the server starts:
binding anything but a loopback address needs at least one key (:func:`check_bind`). Keys are
compared as SHA-256 digests with :func:`hmac.compare_digest` against every stored key, so the
time taken does not tell a caller how close a guess was, and the keys themselves are never
logged or echoed. ``/health`` stays open: it carries no conversation data.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Iterable

from ._config import AuthConfig

OPEN_PATHS = frozenset({"/health"})


class AuthError(ValueError):
    """The proxy must not start as configured (the message names no key)."""


def load_keys(config: AuthConfig) -> list[str]:
    """Every configured key: inline, from ``keys_file`` (one a line, ``#`` comments) and from
    the ``keys_env`` variable (comma-separated). Blank entries are dropped."""
    keys = [k.strip() for k in config.api_keys]
    if config.keys_file is not None:
        try:
            text = config.keys_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise AuthError(f"cannot read API key file {config.keys_file}: "
                            f"{exc.strerror}") from exc
        keys += [line.split("#", 1)[0].strip() for line in text.splitlines()]
    if config.keys_env:
        keys += [k.strip() for k in os.environ.get(config.keys_env, "").split(",")]
    return [k for k in keys if k]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP; anything else (``0.0.0.0``, a LAN address, a name) is
    treated as reachable from elsewhere."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: Iterable[str]) -> None:
    """Raise :class:`AuthError` when ``host`` is not loopback and no key is configured."""
    if not is_loopback(host) and not list(keys):
        raise AuthError(
            f"refusing to serve on {host} without client authentication: configure an API "
            "key (--api-key-file FILE, the MHSAFE_PROXY_API_KEYS variable, or auth.api_keys "
            "in --config), or bind 127.0.0.1"
        )


class KeyCheck:
    """Constant-time bearer-key check against a fixed set of keys."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]

    @property
    def required(self) -> bool:
        """False when no key is configured (loopback only; see :func:`check_bind`)."""
        return bool(self._digests)

    def allows(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries one of the keys."""
        return not self._digests or self.client_of(authorization) is not None

    def client_of(self, authorization: str | None) -> str | None:
        """A short, stable tag of the key the header carries (a digest of its digest: it
        names the client in state keys and logs without revealing the key), or None when the
        header carries none of the keys. Every stored key is compared, in constant time."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).digest()
        found: bytes | None = None
        for known in self._digests:
            if hmac.compare_digest(digest, known):
                found = known
        if found is None:
            return None
        return "k-" + hashlib.sha256(b"mhsafe-client\x1f" + found).hexdigest()[:12]


__all__ = ["OPEN_PATHS", "AuthError", "KeyCheck", "check_bind", "is_loopback", "load_keys"]
