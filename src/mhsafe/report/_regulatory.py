"""The regulatory appendix: each metric mapped to EU AI Act articles and FDA GMLP principles.

The mapping is a data file we wrote (`report/data/regulatory_mapping.yaml`), read as data so a
team's regulatory lead can review and amend it without touching code. It is a mapping, never a
claim of compliance; the file's own note says so and the report prints it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from mhsafe.report._document import RegulatoryRow

EU_ARTICLES = ("Art. 9", "Art. 10", "Art. 12", "Art. 13", "Art. 14", "Art. 15", "Art. 72")
GMLP_PRINCIPLES = ("P3", "P7", "P8", "P9", "P10")


def _load() -> dict[str, Any]:
    text = resources.files("mhsafe.report").joinpath("data/regulatory_mapping.yaml").read_text(
        "utf-8"
    )
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        raise ValueError("regulatory_mapping.yaml: expected a mapping with a 'metrics' list")
    return data


def regulatory_mapping() -> tuple[list[RegulatoryRow], str, dict[str, dict[str, str]]]:
    """(rows, the non-compliance note, provision titles). Unknown provision names fail loudly:
    a typo would otherwise silently map a metric to nothing."""
    data = _load()
    rows = [RegulatoryRow.model_validate(item) for item in data["metrics"]]
    for row in rows:
        unknown = [a for a in row.eu_ai_act if a not in EU_ARTICLES]
        unknown += [p for p in row.fda_gmlp if p not in GMLP_PRINCIPLES]
        if unknown:
            raise ValueError(f"regulatory mapping of {row.metric}: unknown {unknown}")
    provisions = {k: {str(a): str(t) for a, t in v.items()}
                  for k, v in (data.get("provisions") or {}).items()}
    return rows, str(data.get("note", "")).strip(), provisions
