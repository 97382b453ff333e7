"""From clinical verdicts to the numbers a report shows: per tier x criterion, and agreement.

Every rate carries n, the unjudged count beside it and a Wilson interval; every 0-2 score a
mean with a t interval (arithmetic in ``mhsafe.stats``). Agreement is measured per criterion
over the individual judgments inside the verdicts: Krippendorff's alpha (nominal for tags,
ordinal for 0-2 scores; missing answers allowed) and Fleiss' kappa over the items every
answering judge rated. Alpha below 0.667 (Krippendorff's floor for tentative conclusions)
carries a warning with the row, because a rate built on judges that disagree is shaky.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mhsafe.judges.clinical._fields import ALL_FIELDS, FAILURE_TAGS, SCORES, TIERS
from mhsafe.schema import Metric, Value, Verdict
from mhsafe.stats import (
    aggregate_raters,
    fleiss_kappa,
    krippendorff_alpha,
    mean_ci,
    rate,
)

ALPHA_FLOOR = 0.667
_log = logging.getLogger(__name__)


class AgreementRow(BaseModel):
    """Agreement of the panel's judges on one criterion."""

    model_config = ConfigDict(extra="forbid")

    criterion: str
    level: str
    n_judges: int
    n_items: int
    alpha: float | None
    alpha_low: float | None
    alpha_high: float | None
    fleiss_kappa: float | None
    fleiss_n: int
    warning: str | None = None


def _tier(v: Verdict) -> str:
    return str(v.labels.get("tier") or v.category or "unknown")


def _code(value: Value) -> float | None:
    """Judgment values as numbers for agreement: booleans 0/1, scores as they are."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def clinical_metrics(verdicts: Sequence[Verdict], *, model: str) -> list[Metric]:
    """Per tier (and ``all``) x criterion: tag rates, score means and the failure rate."""
    by_tier: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        by_tier[_tier(v)].append(v)
        by_tier["all"].append(v)
    order = [t for t in (*TIERS, "all") if t in by_tier] + sorted(
        t for t in by_tier if t not in (*TIERS, "all")
    )
    metrics: list[Metric] = []
    for tier in order:
        group = by_tier[tier]
        failed = [v.failed for v in group]
        r = rate(
            sum(1 for f in failed if f is True),
            sum(1 for f in failed if f is not None),
            unjudged=sum(1 for f in failed if f is None),
            name="clinical_failure",
        )
        metrics.append(_metric(r.metric_fields(), model, tier, "clinical_failure"))
        for field in ALL_FIELDS:
            values = [v.labels.get(field) for v in group]
            if field in SCORES:
                nums = [float(x) for x in values if _code(x) is not None and x is not None]
                m = mean_ci(nums)
                metrics.append(
                    Metric(
                        name=field,
                        n=m.n,
                        estimate=m.estimate,
                        ci_low=m.low,
                        ci_high=m.high,
                        unjudged=len(values) - m.n,
                        method="mean-t",
                        group={"model": model, "tier": tier, "criterion": field},
                    )
                )
            else:
                decided = [x for x in values if isinstance(x, bool)]
                r = rate(
                    sum(decided),
                    len(decided),
                    unjudged=len(values) - len(decided),
                    name=field,
                )
                metrics.append(_metric(r.metric_fields(), model, tier, field))
    return metrics


def _metric(fields: dict[str, object], model: str, tier: str, criterion: str) -> Metric:
    metric = Metric.model_validate(fields)
    metric.group = {"model": model, "tier": tier, "criterion": criterion}
    return metric


def failure_pattern_counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """How often each failure pattern was found (True) across verdicts."""
    counts = dict.fromkeys(FAILURE_TAGS, 0)
    for v in verdicts:
        for tag in FAILURE_TAGS:
            if v.labels.get(tag) is True:
                counts[tag] += 1
    return counts


def agreement_table(
    verdicts: Sequence[Verdict], *, fields: Sequence[str] = ALL_FIELDS, n_boot: int = 200
) -> list[AgreementRow]:
    """Per criterion: alpha over judges x items (missing allowed) and Fleiss' kappa over the
    items all answering judges rated. A judge that never answered a criterion (a rule that
    leaves it to the LLMs) is not a rater of it."""
    rows: list[AgreementRow] = []
    for field in fields:
        ratings: dict[str, list[float | None]] = defaultdict(lambda: [None] * len(verdicts))
        for i, v in enumerate(verdicts):
            for j in v.judgments:
                if j.status == "judged":
                    ratings[j.judge][i] = _code(j.values.get(field))
        raters = sorted(r for r, vals in ratings.items() if any(x is not None for x in vals))
        level: Literal["ordinal", "nominal"] = "ordinal" if field in SCORES else "nominal"
        data = [ratings[r] for r in raters]
        alpha = krippendorff_alpha(data, level=level, n_boot=n_boot) if len(raters) >= 2 else None
        complete = [
            [col[i] for col in data]
            for i in range(len(verdicts))
            if data and all(col[i] is not None for col in data)
        ]
        kappa_value: float | None = None
        if len(raters) >= 2 and complete:
            table, _ = aggregate_raters(complete)
            kappa_value = fleiss_kappa(table, n_boot=0).estimate
        row = AgreementRow(
            criterion=field,
            level=level,
            n_judges=len(raters),
            n_items=alpha.n if alpha else 0,
            alpha=alpha.estimate if alpha else None,
            alpha_low=alpha.low if alpha else None,
            alpha_high=alpha.high if alpha else None,
            fleiss_kappa=kappa_value,
            fleiss_n=len(complete) if len(raters) >= 2 else 0,
        )
        if row.alpha is not None and row.alpha < ALPHA_FLOOR:
            row.warning = f"alpha {row.alpha:.2f} < {ALPHA_FLOOR}: judges disagree on {field}"
            _log.warning("clinical agreement: %s", row.warning)
        rows.append(row)
    return rows
