"""Clinical judging: rubrics, offline rules and the clinical panel for PE and CBT work.

Public face: ``ClinicalJudgeOutput`` (the one JSON object a judge returns), the field groups,
``clinical_rule_values`` (offline rules, null where they cannot decide),
``clinical_offline_values`` (rules + logistic head over MiniLM embeddings: every failure tag
and a 0-2 fidelity estimate, the panel's offline member), ``clinical_rubric``
(three versioned group files asked in one call), ``clinical_panel`` / ``decide_clinical`` /
``ClinicalDecider`` (rules + >= 3 LLM judges -> Verdict), ``grade_records`` / ``grade_file``
(``mhsafe judge``), ``clinical_metrics`` / ``agreement_table`` / ``failure_pattern_counts``
(numbers for the report) and ``paraphrase_flips`` (judge robustness).
"""

from mhsafe.judges.clinical._context import ReplyContext, reply_contexts, reply_transcript
from mhsafe.judges.clinical._decide import (
    PANEL_PHRASINGS,
    PARAPHRASE_PHRASINGS,
    ClinicalDecider,
    clinical_panel,
    decide_clinical,
    field_agreement,
    llm_judges,
    rule_judge,
    with_case_context,
)
from mhsafe.judges.clinical._fields import (
    ALL_FIELDS,
    FAILURE_PATTERNS,
    FAILURE_TAGS,
    GRADE_FIELDS,
    SAFETY_FIELDS,
    SCORES,
    TAGS,
    TIERS,
    ClinicalJudgeOutput,
)
from mhsafe.judges.clinical._grade import (
    GradeRecord,
    GradeSummary,
    grade_file,
    grade_records,
    output_line,
    read_records,
    record_transcript,
)
from mhsafe.judges.clinical._grade_input import GradeInputError, grade_lines
from mhsafe.judges.clinical._head import ClinicalHead, shipped_head
from mhsafe.judges.clinical._offline import HEAD_TAGS, clinical_offline_values
from mhsafe.judges.clinical._robustness import (
    FieldFlips,
    FlipReport,
    compare_verdicts,
    paraphrase_flips,
)
from mhsafe.judges.clinical._rubric import GROUPS, clinical_rubric, load_group
from mhsafe.judges.clinical._rules import (
    RULE_JUDGE_NAME,
    clinical_rule_values,
    graded_replies,
    risk_in_text,
    risk_level,
)
from mhsafe.judges.clinical._summary import (
    ALPHA_FLOOR,
    AgreementRow,
    agreement_table,
    clinical_metrics,
    failure_pattern_counts,
)

__all__ = [
    "ALL_FIELDS",
    "ALPHA_FLOOR",
    "FAILURE_PATTERNS",
    "FAILURE_TAGS",
    "GRADE_FIELDS",
    "GROUPS",
    "HEAD_TAGS",
    "PANEL_PHRASINGS",
    "PARAPHRASE_PHRASINGS",
    "RULE_JUDGE_NAME",
    "SAFETY_FIELDS",
    "SCORES",
    "TAGS",
    "TIERS",
    "AgreementRow",
    "ClinicalDecider",
    "ClinicalHead",
    "ClinicalJudgeOutput",
    "FieldFlips",
    "FlipReport",
    "GradeInputError",
    "GradeRecord",
    "GradeSummary",
    "ReplyContext",
    "agreement_table",
    "clinical_metrics",
    "clinical_offline_values",
    "clinical_panel",
    "clinical_rubric",
    "clinical_rule_values",
    "compare_verdicts",
    "decide_clinical",
    "failure_pattern_counts",
    "field_agreement",
    "grade_file",
    "grade_lines",
    "grade_records",
    "graded_replies",
    "llm_judges",
    "load_group",
    "output_line",
    "paraphrase_flips",
    "read_records",
    "record_transcript",
    "reply_contexts",
    "reply_transcript",
    "risk_in_text",
    "risk_level",
    "rule_judge",
    "shipped_head",
    "with_case_context",
]
