"""The cache's two rules, shared by both embedded models: whole files only, re-hash only when
the stamp no longer vouches for the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mhsafe.models import _cache


def test_write_atomically_leaves_nothing_when_the_build_dies(tmp_path: Path) -> None:
    def dies(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _cache.write_atomically(tmp_path / "m.gguf", dies)
    assert list(tmp_path.iterdir()) == []


def test_verified_file_builds_once_then_trusts_the_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"weights" * 10
    sha = hashlib.sha256(body).hexdigest()
    builds: list[Path] = []

    def build(target: Path) -> None:
        builds.append(target)
        _cache.write_atomically(target, lambda tmp: tmp.write_bytes(body))

    target = tmp_path / "models" / "m.gguf"
    assert _cache.verified_file(target, sha, build) == target
    assert builds == [target] and target.read_bytes() == body
    assert _cache.stamp_matches(target, sha)
    monkeypatch.setattr(_cache, "sha256_file", lambda p: pytest.fail("re-hashed"))
    assert _cache.verified_file(target, sha, build) == target
    assert builds == [target]


def test_a_changed_file_is_rehashed_and_rebuilt(tmp_path: Path) -> None:
    body = b"good bytes"
    sha = hashlib.sha256(body).hexdigest()
    target = tmp_path / "m.gguf"
    target.write_bytes(b"bad bytes!")  # same size, no stamp
    _cache.verified_file(target, sha, lambda t: t.write_bytes(body))
    assert target.read_bytes() == body
    assert not _cache.stamp_matches(target, "0" * 64)
