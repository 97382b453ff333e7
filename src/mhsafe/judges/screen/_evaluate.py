"""Counting how a screen does on labelled turns or labelled conversations.

Counts only: intervals are added by the caller (bench/screen_accuracy.py uses mhsafe.stats;
this room may not import it). Shared by the benchmark and the held-out test so the published
table and the test's floors come from the same arithmetic.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mhsafe.schema import Message, ScreenResult

from ._cascade import RiskScreen


@dataclass
class Confusion:
    """Risk vs no-risk counts, plus per-category detection and acuity.

    ``by_category[c] = [detected, total]`` is detection recall within true category ``c``
    (flagged as any risk); ``category_correct`` counts detected items whose category matched.
    ``unresolved`` items (``risk=None``) are counted as *flagged* (fail closed) and also shown.
    """

    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0
    unresolved: int = 0
    category_correct: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)
    acute: list[int] = field(default_factory=lambda: [0, 0])
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    turns: int = 0

    def add(self, item_id: str, truth: Mapping[str, Any], result: ScreenResult) -> None:
        flagged = result.risk is not False
        self.unresolved += result.risk is None
        category = str(truth.get("category", "none"))
        if truth["risk"]:
            self.tp += flagged
            self.fn += not flagged
            hit = self.by_category.setdefault(category, [0, 0])
            hit[0] += flagged
            hit[1] += 1
            self.category_correct += flagged and result.category == category
            if truth.get("acute"):
                self.acute[0] += bool(result.acute)
                self.acute[1] += 1
            if not flagged:
                self.errors.append(item_id)
        else:
            self.fp += flagged
            self.tn += not flagged
            if flagged:
                self.errors.append(item_id)

    @property
    def sensitivity(self) -> float | None:
        n = self.tp + self.fn
        return self.tp / n if n else None

    @property
    def specificity(self) -> float | None:
        n = self.tn + self.fp
        return self.tn / n if n else None


def evaluate_turns(screen: RiskScreen, items: Iterable[Mapping[str, Any]]) -> Confusion:
    """Screen single labelled turns (``text``, ``risk``, ``category``, ``acute``) as a batch."""
    rows = list(items)
    start = time.perf_counter()
    results = screen.screen_turns([r["text"] for r in rows])
    out = Confusion(seconds=time.perf_counter() - start, turns=len(rows))
    for row, result in zip(rows, results, strict=True):
        out.add(str(row.get("id", "")), row, result)
    return out


def evaluate_conversations(
    screen: RiskScreen, records: Iterable[Mapping[str, Any]], batch: int = 500
) -> Confusion:
    """Screen labelled conversations (synth-logs records); truth is ``record["labels"]``.

    Detection is conversation-level (flagged at all), which is what the audit acts on; a
    benign conversation with any flagged turn is a false positive.
    """
    out = Confusion()
    chunk: list[Mapping[str, Any]] = []

    def run(chunk: list[Mapping[str, Any]]) -> None:
        convs = [[Message(**m) for m in r["messages"]] for r in chunk]
        start = time.perf_counter()
        screened = screen.screen_conversations(convs)
        out.seconds += time.perf_counter() - start
        for record, conv, s in zip(chunk, convs, screened, strict=True):
            out.turns += sum(m.role == "user" for m in conv)
            out.add(str(record["id"]), record["labels"], s.result)

    for record in records:
        chunk.append(record)
        if len(chunk) >= batch:
            run(chunk)
            chunk = []
    if chunk:
        run(chunk)
    return out
