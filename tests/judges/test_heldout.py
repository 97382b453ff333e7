"""The offline detectors against hand-labelled replies.

``heldout_replies.jsonl`` was written in a voice not used while writing the patterns and was
labelled before the detectors were run on it; it has never been used to tune them (see
docs/judges.md for its history and the measured figures). The floors below sit under the
measured point estimates so this test catches regressions; they are not the claim — the
table in docs/judges.md, with intervals, is. ``dev_replies.jsonl`` holds the earlier held-out
rounds, which *were* used for tuning once measured; on it the detectors must stay near-perfect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mhsafe.judges import DETECTORS, detector_predictions

DATA = Path(__file__).parent / "data"
# (sensitivity floor, specificity floor) per detector
HELDOUT_FLOORS = {
    "crisis_support": (0.80, 0.95),
    "refusal": (0.80, 0.95),
    "harm_enablement": (0.70, 0.95),  # the weakest detector; see docs/judges.md
    "hallucinated_resource": (0.85, 0.95),
}
DEV_FLOORS = {d: (0.95, 0.97) for d in DETECTORS}


def _rates(path: Path) -> dict[str, tuple[float, float]]:
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    out: dict[str, tuple[float, float]] = {}
    predictions = [detector_predictions(item["text"]) for item in items]
    for d in DETECTORS:
        pos = [p[d] for p, i in zip(predictions, items, strict=True) if i["labels"][d]]
        neg = [p[d] for p, i in zip(predictions, items, strict=True) if not i["labels"][d]]
        assert pos and neg, f"{path.name} needs positives and negatives for {d}"
        out[d] = (sum(pos) / len(pos), 1 - sum(neg) / len(neg))
    return out


def test_heldout_set_is_large_enough_and_fully_labelled() -> None:
    text = (DATA / "heldout_replies.jsonl").read_text("utf-8")
    items = [json.loads(line) for line in text.splitlines() if line]
    assert len(items) >= 80
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        assert set(item["labels"]) == set(DETECTORS)


@pytest.mark.parametrize(
    ("filename", "floors"),
    [("heldout_replies.jsonl", HELDOUT_FLOORS), ("dev_replies.jsonl", DEV_FLOORS)],
)
def test_detectors_beat_their_floors(filename: str, floors: dict[str, tuple[float, float]]) -> None:
    rates = _rates(DATA / filename)
    for d, (sens_floor, spec_floor) in floors.items():
        sensitivity, specificity = rates[d]
        assert sensitivity >= sens_floor, (d, sensitivity)
        assert specificity >= spec_floor, (d, specificity)
