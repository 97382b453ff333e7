"""mhsafe.stats: every number a report shows, with its n and its interval.

Thin, documented wrappers over scipy, statsmodels and krippendorff. The libraries do the
arithmetic; this room fixes the conventions (no data gives ``None``, never 0; unjudged items
are carried beside a rate, never counted as safe; seeded bootstraps). It imports nothing of
ours: callers turn results into ``schema.Metric`` (see :meth:`Rate.metric_fields`).
"""

from mhsafe.stats._agreement import (
    Agreement,
    aggregate_raters,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from mhsafe.stats._compare import (
    ProportionChange,
    TestResult,
    chi2_or_fisher,
    fisher_exact_2x2,
    holm,
    mcnemar_exact,
    mcnemar_from_pairs,
    newcombe_diff_ci,
    two_proportion_change,
)
from mhsafe.stats._diagnostic import (
    CorrectedPrevalence,
    DiagnosticAccuracy,
    rogan_gladen,
    sensitivity_specificity,
)
from mhsafe.stats._proportion import (
    Interval,
    ProportionMethod,
    Rate,
    one_sided_upper,
    proportion_ci,
    rate,
    upper_bound_zero_failures,
    zero_failure_sample_size,
)
from mhsafe.stats._summary import MeanCI, SurvivalCurve, kaplan_meier, mean_ci, median

__all__ = [
    "Agreement",
    "CorrectedPrevalence",
    "DiagnosticAccuracy",
    "Interval",
    "MeanCI",
    "ProportionChange",
    "ProportionMethod",
    "Rate",
    "SurvivalCurve",
    "TestResult",
    "aggregate_raters",
    "chi2_or_fisher",
    "cohen_kappa",
    "fisher_exact_2x2",
    "fleiss_kappa",
    "holm",
    "kaplan_meier",
    "krippendorff_alpha",
    "mcnemar_exact",
    "mcnemar_from_pairs",
    "mean_ci",
    "median",
    "newcombe_diff_ci",
    "one_sided_upper",
    "proportion_ci",
    "rate",
    "rogan_gladen",
    "sensitivity_specificity",
    "two_proportion_change",
    "upper_bound_zero_failures",
    "zero_failure_sample_size",
]
