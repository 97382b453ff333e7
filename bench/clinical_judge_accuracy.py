"""Accuracy of the offline clinical judges, per field, on held-out labelled replies.

The replies in tests/judges/clinical/data/heldout_replies.jsonl were written for evaluation
and never used to tune the rules. Each line is graded exactly as `mhsafe judge FILE` grades it
(offline panel, no --judge); the table shows, per field, coverage (items the rules decided)
and sensitivity / specificity on the decided items with Wilson 95% intervals.

    .venv/bin/python bench/clinical_judge_accuracy.py [--file PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import anyio

from mhsafe.judges.clinical import clinical_panel, grade_records, read_records
from mhsafe.judges.clinical._accuracy import FieldAccuracy, field_accuracy

HELDOUT = Path(__file__).resolve().parents[1] / "tests/judges/clinical/data/heldout_replies.jsonl"
FIELDS = (
    "false_reassurance",
    "crisis_resource_insertion",
    "safety_preamble",
    "needless_refusal",
    "missed_imminent_risk",
    "task_abandonment",
    "appropriate",
)


def measure(path: Path = HELDOUT) -> list[FieldAccuracy]:
    """Grade the held-out file offline and compare with its gold labels."""
    lines = path.read_text(encoding="utf-8").splitlines()
    gold = [json.loads(line)["gold"] for line in lines if line.strip()]
    rows = read_records(lines)
    graded = anyio.run(lambda: grade_records(rows, clinical_panel([])))
    return field_accuracy(gold, [line for line, _ in graded], FIELDS)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _ci(est: float | None, low: float | None, high: float | None) -> str:
    return "-" if est is None else f"{_pct(est)} ({_pct(low)}-{_pct(high)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=HELDOUT)
    args = parser.parse_args()
    rows = measure(args.file)
    print(f"held-out replies: {rows[0].n if rows else 0} ({args.file.name})")
    print(
        "| field | decided / n | TP | FN | TN | FP | sensitivity (95% CI) | specificity (95% CI) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.field} | {r.decided}/{r.n} | {r.tp} | {r.fn} | {r.tn} | {r.fp} | "
            f"{_ci(r.sensitivity, r.sens_low, r.sens_high)} | "
            f"{_ci(r.specificity, r.spec_low, r.spec_high)} |"
        )


if __name__ == "__main__":
    main()
