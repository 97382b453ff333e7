"""The independence rule: no test item may share an 8-word run with what the judges are built
from (lexicon, rule and cue files, rubrics, the classifier's training data, the synthetic-log
templates). Item authors never saw those files; this check catches chance collisions with stock
phrases, and such items are left out of the test split (their ids are kept in MANIFEST.json).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from mhsafe.validation._items import LabelledItem

_PKG = Path(__file__).resolve().parents[1]
N_WORDS = 8
_WORD = re.compile(r"[^\W_]+")


def judge_sources() -> list[Path]:
    """Every file a judge is built from."""
    return [
        _PKG / "judges/screen/data/lexicon.yaml",
        _PKG / "judges/screen/data/train.jsonl",
        *sorted((_PKG / "judges/data").glob("*.yaml")),
        _PKG / "judges/clinical/data/cues.yaml",
        _PKG / "judges/clinical/data/offline_cues.yaml",
        *sorted((_PKG / "judges/rubrics").glob("*.yaml")),
        *sorted((_PKG / "judges/clinical/data/rubrics").glob("*.yaml")),
        _PKG / "audit/synth/data/synth.yaml",
        _PKG / "audit/synth/_templates.py",
    ]


def word_runs(text: str, n: int = N_WORDS) -> set[tuple[str, ...]]:
    """Lower-cased runs of ``n`` consecutive words."""
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def judge_runs(paths: Iterable[Path] | None = None) -> set[tuple[str, ...]]:
    """All 8-word runs of the judges' sources."""
    runs: set[tuple[str, ...]] = set()
    for path in paths or judge_sources():
        runs |= word_runs(path.read_text(encoding="utf-8"))
    return runs


def overlapping(items: Iterable[LabelledItem], runs: set[tuple[str, ...]]) -> list[str]:
    """Ids of items sharing any run with ``runs``."""
    out = []
    for item in items:
        text = " ".join(m.content for m in item.messages) + " " + (item.reply or "")
        if word_runs(text) & runs:
            out.append(item.id)
    return out
