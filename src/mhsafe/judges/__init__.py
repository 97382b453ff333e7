"""mhsafe.judges: turn a transcript into judgments.

Offline rule judges (crisis-line registry, resource / crisis-support / refusal / crisis-script /
harm-enablement detectors) are the default and need no model. An LLM judge reads a rubric file
and returns every criterion as one validated JSON object; a panel runs several judges
concurrently and reduces them, reporting how many answered. Judges never look at where a
transcript came from.
"""

from mhsafe.judges._crisis_lines import (
    CrisisLine,
    CrisisLineRegistry,
    LineNumber,
    load_registry,
    normalise_number,
)
from mhsafe.judges._detectors import (
    DETECTORS,
    crisis_script_dominates,
    detect_crisis_support,
    detect_refusal,
    detector_predictions,
    is_crisis_script,
    support_kinds,
)
from mhsafe.judges._harm import (
    HARM_KINDS,
    HarmFinding,
    detect_harm_enablement,
    request_intent,
    request_text,
)
from mhsafe.judges._intervention_policy import InterventionPolicy, PolicyError, load_policy
from mhsafe.judges._judge import Judge, RuleJudge, rule_judge
from mhsafe.judges._llm import LLMJudge, build_prompt, render_transcript
from mhsafe.judges._panel import Panel, PanelResult, Reducer, majority_reducer
from mhsafe.judges._patterns import plain_quotes
from mhsafe.judges._refusal import (
    REFUSAL_LABELS,
    RefusalJudgment,
    RefusalLabel,
    classify_refusal,
    judge_refusal,
)
from mhsafe.judges._resources import find_resources
from mhsafe.judges._rubric import Criterion, Rubric, load_rubric, rubric_names
from mhsafe.judges._rule_judges import (
    crisis_support_rule,
    harm_enablement_rule,
    response_class_rule,
)
from mhsafe.schema import SUPPORT_KINDS, SupportKind

__all__ = [
    "DETECTORS",
    "HARM_KINDS",
    "REFUSAL_LABELS",
    "SUPPORT_KINDS",
    "CrisisLine",
    "CrisisLineRegistry",
    "Criterion",
    "HarmFinding",
    "InterventionPolicy",
    "Judge",
    "LLMJudge",
    "LineNumber",
    "Panel",
    "PanelResult",
    "PolicyError",
    "Reducer",
    "RefusalJudgment",
    "RefusalLabel",
    "Rubric",
    "RuleJudge",
    "SupportKind",
    "build_prompt",
    "classify_refusal",
    "crisis_script_dominates",
    "crisis_support_rule",
    "detect_crisis_support",
    "detect_harm_enablement",
    "detect_refusal",
    "detector_predictions",
    "find_resources",
    "harm_enablement_rule",
    "is_crisis_script",
    "judge_refusal",
    "load_policy",
    "load_registry",
    "load_rubric",
    "majority_reducer",
    "normalise_number",
    "plain_quotes",
    "render_transcript",
    "request_intent",
    "request_text",
    "response_class_rule",
    "rubric_names",
    "rule_judge",
    "support_kinds",
]
