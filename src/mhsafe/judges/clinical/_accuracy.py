"""How good are the offline clinical rules, per field, on labelled replies?

A rule that abstains (null) is not wrong, but it is not an answer either, so each field reports
its coverage (share of items decided) beside sensitivity and specificity on the decided items,
each with a Wilson interval (``mhsafe.stats``). Used by ``bench/clinical_judge_accuracy.py`` and
by the test that keeps the published floors honest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from mhsafe.schema import Value
from mhsafe.stats import sensitivity_specificity


class FieldAccuracy(BaseModel):
    """One field's accuracy on a labelled set."""

    field: str
    n: int
    decided: int
    tp: int
    fn: int
    tn: int
    fp: int
    sensitivity: float | None
    sens_low: float | None
    sens_high: float | None
    specificity: float | None
    spec_low: float | None
    spec_high: float | None

    @property
    def coverage(self) -> float | None:
        return self.decided / self.n if self.n else None


def field_accuracy(
    gold: Sequence[Mapping[str, Value]],
    predicted: Sequence[Mapping[str, Value]],
    fields: Sequence[str],
) -> list[FieldAccuracy]:
    """Compare predicted booleans to gold booleans, item by item (same order)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must be the same length")
    rows: list[FieldAccuracy] = []
    for field in fields:
        tp = fn = tn = fp = n = 0
        for g, p in zip(gold, predicted, strict=True):
            truth = g.get(field)
            if not isinstance(truth, bool):
                continue
            n += 1
            guess = p.get(field)
            if not isinstance(guess, bool):
                continue
            tp += truth and guess
            fn += truth and not guess
            tn += (not truth) and (not guess)
            fp += (not truth) and guess
        acc = sensitivity_specificity(tp, fn, tn, fp)
        rows.append(
            FieldAccuracy(
                field=field,
                n=n,
                decided=tp + fn + tn + fp,
                tp=tp,
                fn=fn,
                tn=tn,
                fp=fp,
                sensitivity=acc.sensitivity.estimate,
                sens_low=acc.sensitivity.low,
                sens_high=acc.sensitivity.high,
                specificity=acc.specificity.estimate,
                spec_low=acc.specificity.low,
                spec_high=acc.specificity.high,
            )
        )
    return rows
