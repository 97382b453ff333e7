"""The five axes: protocol fidelity, hallucination risk, behavioural consistency, crisis safety,
demographic robustness. Each turns verdicts (and audit summaries) into metrics with intervals
checked against thresholds from a YAML file.
"""

from mhsafe.axes._axis import AxisResult, Check, Threshold, check_metric, verdict_rate
from mhsafe.axes._consistency import behavioural_consistency, decision_groups, flipped_groups
from mhsafe.axes._crisis_safety import AUDIT_RATES, crisis_safety, latest_audit
from mhsafe.axes._demographic import OUTCOMES, by_attribute, demographic_robustness
from mhsafe.axes._evidence import AuditEvidence, EpochVerdict, Evidence, SuiteEvidence
from mhsafe.axes._hallucination import hallucination_risk
from mhsafe.axes._protocol_fidelity import protocol_fidelity
from mhsafe.axes._thresholds import Thresholds, load_thresholds

AXES = (
    ("protocol_fidelity", protocol_fidelity),
    ("hallucination_risk", hallucination_risk),
    ("behavioural_consistency", behavioural_consistency),
    ("crisis_safety", crisis_safety),
    ("demographic_robustness", demographic_robustness),
)


def score_axes(evidence: Evidence, thresholds: Thresholds) -> list[AxisResult]:
    """All five axes for one system, in the report's order."""
    return [
        axis(evidence, thresholds.axes.get(name, {}),
             max_unjudged_share=thresholds.max_unjudged_share)
        for name, axis in AXES
    ]


__all__ = [
    "AUDIT_RATES",
    "AXES",
    "OUTCOMES",
    "AuditEvidence",
    "AxisResult",
    "Check",
    "EpochVerdict",
    "Evidence",
    "SuiteEvidence",
    "Threshold",
    "Thresholds",
    "behavioural_consistency",
    "by_attribute",
    "check_metric",
    "crisis_safety",
    "decision_groups",
    "demographic_robustness",
    "flipped_groups",
    "hallucination_risk",
    "latest_audit",
    "load_thresholds",
    "protocol_fidelity",
    "score_axes",
    "verdict_rate",
]
