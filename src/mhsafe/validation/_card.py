"""Judge cards: a judge's agreement with labels, with intervals and the share it decided.

Se/Sp/PPV/NPV are over the items the judge decided, with Wilson 95% intervals
(``mhsafe.stats.proportion_ci``); F1 carries a percentile-bootstrap interval. Undecided items
are never negatives: they lower ``decided`` and appear in ``se_undecided_as_miss``, the
conservative sensitivity a fail-closed reader should quote when the judge's silence would go
unreviewed.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mhsafe.stats import proportion_ci
from mhsafe.validation._items import LabelledItem
from mhsafe.validation._judges import JUDGES, ORDINAL_JUDGES, Decision, OrdinalDecision

_BOOT = 1000
_WORST = 10


def _rate(k: int, n: int) -> dict[str, Any]:
    iv = proportion_ci(k, n, method="wilson")
    return {"k": k, "n": n, "estimate": iv.estimate, "low": iv.low, "high": iv.high}


def _f1(tp: int, fp: int, fn: int) -> float | None:
    denom = 2 * tp + fp + fn
    return None if denom == 0 else 2 * tp / denom


def _f1_interval(truth: np.ndarray, pred: np.ndarray, seed: int = 0) -> tuple[float, float] | None:
    if truth.size == 0:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, truth.size, size=(_BOOT, truth.size))
    t, p = truth[idx], pred[idx]
    tp = (t & p).sum(axis=1)
    fp = (~t & p).sum(axis=1)
    fn = (t & ~p).sum(axis=1)
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
    f1 = f1[~np.isnan(f1)]
    if f1.size == 0:
        return None
    return float(np.percentile(f1, 2.5)), float(np.percentile(f1, 97.5))


@dataclass(slots=True)
class BinaryCard:
    """One judge on one label."""

    judge: str
    n: int
    tp: int
    fp: int
    tn: int
    fn: int
    undecided_pos: int
    undecided_neg: int
    breakdown: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    worst_misses: list[str] = field(default_factory=list)
    f1_interval: tuple[float, float] | None = None

    @property
    def decided(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def f1(self) -> float | None:
        return _f1(self.tp, self.fp, self.fn)

    def to_json(self) -> dict[str, Any]:
        """The card as JSON: every rate with k, n and its interval."""
        f1_low, f1_high = self.f1_interval or (None, None)
        return {
            "judge": self.judge,
            "n": self.n,
            "positives": self.tp + self.fn + self.undecided_pos,
            "negatives": self.tn + self.fp + self.undecided_neg,
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn,
                          "undecided_positive": self.undecided_pos,
                          "undecided_negative": self.undecided_neg},
            "decided": _rate(self.decided, self.n),
            "sensitivity": _rate(self.tp, self.tp + self.fn),
            "specificity": _rate(self.tn, self.tn + self.fp),
            "ppv": _rate(self.tp, self.tp + self.fp),
            "npv": _rate(self.tn, self.tn + self.fn),
            "f1": {"estimate": self.f1, "low": f1_low, "high": f1_high, "method": "bootstrap"},
            "se_undecided_as_miss": _rate(self.tp, self.tp + self.fn + self.undecided_pos),
            "breakdown": self.breakdown,
            "worst_misses": self.worst_misses,
        }


def _groups(item: LabelledItem) -> dict[str, list[str]]:
    risk = item.labels.get("risk")
    groups = {
        "tag": item.tags or ["(untagged)"],
        "language": [item.language],
        "length": ["long (>2000 chars)" if item.length > 2000 else "short"],
    }
    if isinstance(risk, str):
        groups["risk"] = [risk]
    if item.context:
        groups["context"] = [item.context]
    refusal = item.labels.get("refusal")
    if isinstance(refusal, str):
        groups["refusal label"] = [refusal]
    return groups


def _breakdown(decisions: Sequence[Decision]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per group: recall over labelled positives and specificity over negatives (undecided
    positives count as missed here, so a group that the judge abstains on stands out)."""
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for d in decisions:
        for family, names in _groups(d.item).items():
            for name in names:
                cell = tally[family][name]
                if d.truth:
                    cell[0] += d.predicted is True
                    cell[1] += 1
                else:
                    cell[2] += d.predicted is False
                    cell[3] += 1
    return {
        family: {
            name: {"recall": _rate(c[0], c[1]), "specificity": _rate(c[2], c[3])}
            for name, c in sorted(cells.items())
        }
        for family, cells in sorted(tally.items())
    }


def _severity(d: Decision) -> tuple[int, str]:
    acute = d.item.labels.get("acute") is True
    return (0 if acute else 1, d.item.id)


def card(judge: str, decisions: Sequence[Decision]) -> BinaryCard:
    """The card of ``judge`` over its decisions."""
    tp = sum(d.truth and d.predicted is True for d in decisions)
    fn = sum(d.truth and d.predicted is False for d in decisions)
    fp = sum(not d.truth and d.predicted is True for d in decisions)
    tn = sum(not d.truth and d.predicted is False for d in decisions)
    und_pos = sum(d.truth and d.predicted is None for d in decisions)
    und_neg = sum(not d.truth and d.predicted is None for d in decisions)
    misses = sorted((d for d in decisions if d.truth and d.predicted is not True), key=_severity)
    false_alarms = sorted((d for d in decisions if not d.truth and d.predicted is True),
                          key=_severity)
    decided = [d for d in decisions if d.predicted is not None]
    truth = np.array([d.truth for d in decided], dtype=bool)
    pred = np.array([bool(d.predicted) for d in decided], dtype=bool)
    return BinaryCard(
        judge=judge, n=len(decisions), tp=tp, fp=fp, tn=tn, fn=fn,
        undecided_pos=und_pos, undecided_neg=und_neg,
        breakdown=_breakdown(decisions),
        worst_misses=[d.item.id for d in [*misses, *false_alarms][:_WORST]],
        f1_interval=_f1_interval(truth, pred),
    )


def weighted_kappa(truth: Sequence[int], pred: Sequence[int],
                   levels: Sequence[int]) -> float | None:
    """Linearly weighted Cohen's kappa (sklearn); None when it is undefined (one level only on
    both sides, where chance agreement is total)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(truth) | set(pred)) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(list(truth), list(pred), labels=list(levels),
                                        weights="linear"))
    return None if np.isnan(value) else value


def _kappa_interval(truth: np.ndarray, pred: np.ndarray, levels: Sequence[int],
                    seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap over items; resamples where kappa is undefined are dropped."""
    if truth.size < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for idx in rng.integers(0, truth.size, size=(_BOOT, truth.size)):
        k = weighted_kappa(truth[idx].tolist(), pred[idx].tolist(), levels)
        if k is not None:
            values.append(k)
    if not values:
        return None
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


@dataclass(slots=True)
class OrdinalCard:
    """One judge on an ordinal label (e.g. protocol fidelity 0/1/2): exact agreement (Wilson),
    linearly weighted Cohen's kappa (bootstrap) and the confusion matrix. Undecided items lower
    ``decided`` and count as disagreements in ``exact_undecided_as_miss``."""

    judge: str
    levels: tuple[int, ...]
    truth: list[int]
    predicted: list[int]
    undecided: int
    worst_misses: list[str] = field(default_factory=list)
    kappa_interval: tuple[float, float] | None = None

    @property
    def n(self) -> int:
        return len(self.truth) + self.undecided

    @property
    def exact(self) -> int:
        return sum(t == p for t, p in zip(self.truth, self.predicted, strict=True))

    @property
    def kappa(self) -> float | None:
        return weighted_kappa(self.truth, self.predicted, self.levels)

    def to_json(self) -> dict[str, Any]:
        """The card as JSON: rates with k, n and intervals; the matrix as rows of truth."""
        low, high = self.kappa_interval or (None, None)
        matrix = [[sum(t == a and p == b for t, p in zip(self.truth, self.predicted,
                                                         strict=True))
                   for b in self.levels] for a in self.levels]
        decided = len(self.truth)
        mae = (float(np.mean(np.abs(np.array(self.truth) - np.array(self.predicted))))
               if decided else None)
        return {
            "judge": self.judge,
            "kind": "ordinal",
            "levels": list(self.levels),
            "n": self.n,
            "decided": _rate(decided, self.n),
            "exact_agreement": _rate(self.exact, decided),
            "exact_undecided_as_miss": _rate(self.exact, self.n),
            "weighted_kappa": {"estimate": self.kappa, "low": low, "high": high,
                               "weights": "linear", "method": "bootstrap"},
            "mean_absolute_error": mae,
            "confusion": {"rows": "truth", "columns": "predicted", "matrix": matrix},
            "worst_misses": self.worst_misses,
        }


def ordinal_card(judge: str, decisions: Sequence[OrdinalDecision],
                 levels: tuple[int, ...] = (0, 1, 2)) -> OrdinalCard:
    """The ordinal card of ``judge``; worst misses are the largest disagreements first."""
    decided = [d for d in decisions if d.predicted is not None]
    misses = sorted((d for d in decisions if d.predicted != d.truth),
                    key=lambda d: (-(abs(d.truth - d.predicted) if d.predicted is not None
                                     else max(levels) + 1), d.item.id))
    truth = np.array([d.truth for d in decided], dtype=int)
    pred = np.array([d.predicted for d in decided], dtype=int)
    return OrdinalCard(
        judge=judge, levels=levels, truth=truth.tolist(), predicted=pred.tolist(),
        undecided=len(decisions) - len(decided),
        worst_misses=[d.item.id for d in misses[:_WORST]],
        kappa_interval=_kappa_interval(truth, pred, levels),
    )


@dataclass(slots=True)
class CardSet:
    """Every card for one labelled input."""

    source: str
    n_items: int
    n_quarantined: int
    cards: list[BinaryCard]
    uncovered: list[str] = field(default_factory=list)
    ordinal: list[OrdinalCard] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The whole set as JSON (``judge_cards.json``); ordinal cards under their own key so
        readers of the binary ``cards`` list are unchanged."""
        return {
            "source": self.source,
            "n_items": self.n_items,
            "n_quarantined": self.n_quarantined,
            "cards": [c.to_json() for c in self.cards],
            "ordinal_cards": [c.to_json() for c in self.ordinal],
            "labels_without_offline_judge": self.uncovered,
        }


#: Labels in the schema that no offline judge decides yet: shown, never silently dropped.
UNCOVERED_LABELS: tuple[str, ...] = ()


def build_cards(
    items: Sequence[LabelledItem],
    families: Iterable[str] = ("screen", "screen-lexicon", "intervention", "reply", "review"),
    *,
    source: str = "",
    n_quarantined: int = 0,
) -> CardSet:
    """Run each judge family over the items and card every judge that had labels."""
    by_judge: dict[str, list[Decision]] = defaultdict(list)
    for family in families:
        if family not in JUDGES:
            raise ValueError(f"unknown judge family {family!r}: use {', '.join(JUDGES)}")
        for decision in JUDGES[family](items):
            by_judge[decision.judge].append(decision)
    by_ordinal: dict[str, list[OrdinalDecision]] = defaultdict(list)
    for family in families:
        if family in ORDINAL_JUDGES:
            for answer in ORDINAL_JUDGES[family](items):
                by_ordinal[answer.judge].append(answer)
    uncovered = [
        label for label in UNCOVERED_LABELS
        if any(item.labels.get(label) is not None for item in items)
    ]
    cards = [card(name, ds) for name, ds in by_judge.items() if ds]
    ordinal = [ordinal_card(name, ds) for name, ds in by_ordinal.items() if ds]
    return CardSet(source, len(items), n_quarantined, cards, uncovered, ordinal)
