"""Judge robustness: rerun the panel with paraphrased rubrics and count verdicts that flip.

A verdict that changes when only the wording of the judge's instructions changes is a verdict
about the wording, not the reply. The base panel asks phrasings 0-2; the paraphrase panel asks
3-5 of the same rubric files (same models, same criteria), and :func:`compare_verdicts` reports
the share of items judged both times whose ``failed`` differs (and per criterion), with a
Wilson interval. Items unjudged in either run (or decided by the rules alone because the LLM
panel missed quorum) are counted beside it, not as stable.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
from pydantic import BaseModel, Field

from mhsafe.judges.clinical._decide import (
    PANEL_PHRASINGS,
    PARAPHRASE_PHRASINGS,
    clinical_panel,
    decide_clinical,
)
from mhsafe.judges.clinical._fields import ALL_FIELDS
from mhsafe.schema import Transcript, Verdict
from mhsafe.stats import rate


class FieldFlips(BaseModel):
    """Flips of one criterion among items where both runs decided it."""

    n: int
    flipped: int


class FlipReport(BaseModel):
    """Share of verdicts that flip under paraphrased rubrics."""

    n_compared: int
    n_flipped: int
    flip_rate: float | None
    ci_low: float | None
    ci_high: float | None
    unjudged: int
    per_field: dict[str, FieldFlips] = Field(default_factory=dict)


def _rules_only(v: Verdict) -> bool:
    """A verdict the rules decided while the LLM panel missed quorum says nothing about how
    the LLM judges read the wording."""
    return v.labels.get("panel_status", "judged") != "judged"


def compare_verdicts(base: Sequence[Verdict], paraphrased: Sequence[Verdict]) -> FlipReport:
    """Pair verdicts by transcript id and count ``failed`` and per-criterion flips."""
    alt = {v.transcript_id: v for v in paraphrased}
    compared = flipped = unjudged = 0
    per_field = {f: FieldFlips(n=0, flipped=0) for f in ALL_FIELDS}
    for v in base:
        w = alt.get(v.transcript_id)
        if w is None or v.failed is None or w.failed is None or _rules_only(v) or _rules_only(w):
            unjudged += 1
            continue
        compared += 1
        flipped += v.failed != w.failed
        for f in ALL_FIELDS:
            a, b = v.labels.get(f), w.labels.get(f)
            if a is not None and b is not None:
                per_field[f].n += 1
                per_field[f].flipped += a != b
    r = rate(flipped, compared, unjudged=unjudged, name="paraphrase_flip")
    return FlipReport(
        n_compared=compared,
        n_flipped=flipped,
        flip_rate=r.estimate,
        ci_low=r.low,
        ci_high=r.high,
        unjudged=unjudged,
        per_field={f: c for f, c in per_field.items() if c.n},
    )


async def paraphrase_flips(
    transcripts: Sequence[Transcript],
    models: list[str],
    *,
    max_tokens: int = 200,
    timeout_s: float = 60.0,
    concurrency: int = 4,
) -> FlipReport:
    """Judge every transcript with the base and the paraphrase panel; compare."""
    if not models:
        raise ValueError("robustness needs LLM judges: the offline rules have no phrasing")
    base_panel = clinical_panel(
        models, phrasings=PANEL_PHRASINGS, max_tokens=max_tokens, timeout_s=timeout_s
    )
    alt_panel = clinical_panel(
        models, phrasings=PARAPHRASE_PHRASINGS, max_tokens=max_tokens, timeout_s=timeout_s
    )
    base: list[Verdict | None] = [None] * len(transcripts)
    alt: list[Verdict | None] = [None] * len(transcripts)
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(i: int, t: Transcript) -> None:
        async with limiter:
            base[i] = await decide_clinical(t, base_panel)
            alt[i] = await decide_clinical(t, alt_panel)

    async with anyio.create_task_group() as group:
        for i, t in enumerate(transcripts):
            group.start_soon(one, i, t)
    return compare_verdicts([v for v in base if v], [v for v in alt if v])
