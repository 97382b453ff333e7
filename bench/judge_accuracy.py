"""Held-out accuracy of the offline judges (crisis support, refusal, harm enablement,
hallucinated resource).

Reads `tests/judges/data/heldout_replies.jsonl` — replies hand-written in a different voice
from the one used while writing the detector patterns, labelled before the detectors were run
on them and never used to tune them — and prints each detector's sensitivity and specificity
with 95 % Wilson intervals (`mhsafe.stats.sensitivity_specificity`). With `--errors` it also
lists the ids (never the text) of the items each detector got wrong.

    .venv/bin/python bench/judge_accuracy.py [--errors]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mhsafe.judges import DETECTORS, detector_predictions
from mhsafe.stats import Interval, sensitivity_specificity

HELDOUT = Path(__file__).resolve().parents[1] / "tests/judges/data/heldout_replies.jsonl"


def _fmt(interval: Interval) -> str:
    if interval.estimate is None or interval.low is None or interval.high is None:
        return "no data"
    return f"{interval.estimate:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=HELDOUT)
    parser.add_argument("--errors", action="store_true", help="list ids of misclassified items")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.path.read_text("utf-8").splitlines() if line]
    counts = {d: {"tp": 0, "fn": 0, "tn": 0, "fp": 0} for d in DETECTORS}
    wrong: dict[str, list[str]] = {d: [] for d in DETECTORS}
    for item in items:
        predicted = detector_predictions(item["text"])
        for d in DETECTORS:
            gold, got = bool(item["labels"][d]), predicted[d]
            key = ("tp" if got else "fn") if gold else ("fp" if got else "tn")
            counts[d][key] += 1
            if gold != got:
                wrong[d].append(item["id"])
    print(f"replies: {len(items)} ({args.path.name})")
    print("| detector | positives | negatives | sensitivity [95% CI] | specificity [95% CI] |")
    print("|---|---|---|---|---|")
    for d in DETECTORS:
        c = counts[d]
        acc = sensitivity_specificity(c["tp"], c["fn"], c["tn"], c["fp"])
        print(
            f"| {d} | {c['tp'] + c['fn']} | {c['tn'] + c['fp']} | "
            f"{_fmt(acc.sensitivity)} | {_fmt(acc.specificity)} |"
        )
    if args.errors:
        for d in DETECTORS:
            print(f"{d} misclassified: {', '.join(wrong[d]) or '-'}")


if __name__ == "__main__":
    main()
