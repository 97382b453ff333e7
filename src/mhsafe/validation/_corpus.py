"""Where the shipped evaluation corpus lives, and its frozen hashes.

The corpus is split by phenomenon *cluster* (``mhsafe.validation.split``): ``train/`` may fit
classifiers, ``dev/`` may tune thresholds and rules, ``test/`` is frozen — a test asserts its
SHA-256 so a silent edit cannot improve a published figure.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "data"
SPLITS: tuple[str, ...] = ("train", "dev", "test")


def corpus_files(split: str) -> list[Path]:
    """The JSONL files of one split, in a stable order."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return sorted((CORPUS_DIR / split).glob("*.jsonl"))


def split_sha256(split: str) -> str:
    """One digest over the split's file names and bytes (order-stable)."""
    digest = hashlib.sha256()
    for path in corpus_files(split):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
