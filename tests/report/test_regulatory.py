"""The regulatory appendix is a data file: every provision is a known one, every thresholded
metric is mapped, and the note disclaims compliance."""

from __future__ import annotations

from mhsafe.axes import load_thresholds
from mhsafe.report import regulatory_mapping


def test_mapping_covers_every_thresholded_metric_and_each_provision() -> None:
    rows, note, provisions = regulatory_mapping()
    mapped = {r.metric for r in rows}
    thresholded = {m for axis in load_thresholds().axes.values() for m in axis}
    assert thresholded <= mapped
    used_eu = {a for r in rows for a in r.eu_ai_act}
    used_fda = {p for r in rows for p in r.fda_gmlp}
    assert used_eu == set(provisions["eu_ai_act"])
    assert used_fda == set(provisions["fda_gmlp"])
    assert "not a statement of compliance" in note
