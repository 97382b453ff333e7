"""Test suites as data, run as Inspect tasks: the safety sets and the clinical scenarios.

Public face: `list_suites`, `load_suite` (cases), `safety_task` / `build_task` (Inspect tasks),
`run_suite` (a run streamed into the store), `SafetyDecider` (how a reply is judged).
"""

from mhsafe.suites._catalog import (
    SUITES,
    SuiteEntry,
    SuiteInfo,
    list_suites,
    load_suite,
    suite_name,
)
from mhsafe.suites._context import ResultSink, RunContext, current_run, set_current_run
from mhsafe.suites._evidence_suites import EVIDENCE_SUITES, EVIDENCE_TASKS, FactsDecider
from mhsafe.suites._limit import limit_cases
from mhsafe.suites._loaders import DatasetError, LoadResult, load_dataset_file
from mhsafe.suites._names import UnknownSuiteError
from mhsafe.suites._resume import EvalResumeError, EvalSettings, resume_settings
from mhsafe.suites._runner import RunOutcome, RunStore, run_suite
from mhsafe.suites._safety import (
    MergePolicy,
    SafetyDecider,
    SafetyJudgeOutput,
    failed_for,
    merge_verdicts,
    rule_labels,
)
from mhsafe.suites._scoring import Decide, verdict_scorer
from mhsafe.suites._select import CLINICAL_SUITES, run_kind, task_for
from mhsafe.suites._solvers import scripted_conversation, skip_finished
from mhsafe.suites._tasks import SAFETY_TASKS, build_task, case_sample, safety_task
from mhsafe.suites._testset import load_testset
from mhsafe.suites._transforms import TRANSFORMS, expand_jailbreak

# The evidence suites register themselves in the catalog here (not in _catalog, which they
# import): importing any mhsafe.suites module runs this package init first.
SUITES.update(EVIDENCE_SUITES)

__all__ = [
    "CLINICAL_SUITES",
    "EVIDENCE_SUITES",
    "EVIDENCE_TASKS",
    "SAFETY_TASKS",
    "SUITES",
    "TRANSFORMS",
    "DatasetError",
    "Decide",
    "EvalResumeError",
    "EvalSettings",
    "FactsDecider",
    "LoadResult",
    "MergePolicy",
    "ResultSink",
    "RunContext",
    "RunOutcome",
    "RunStore",
    "SafetyDecider",
    "SafetyJudgeOutput",
    "SuiteEntry",
    "SuiteInfo",
    "UnknownSuiteError",
    "build_task",
    "case_sample",
    "current_run",
    "expand_jailbreak",
    "failed_for",
    "limit_cases",
    "list_suites",
    "load_dataset_file",
    "load_suite",
    "load_testset",
    "merge_verdicts",
    "resume_settings",
    "rule_labels",
    "run_kind",
    "run_suite",
    "safety_task",
    "scripted_conversation",
    "set_current_run",
    "skip_finished",
    "suite_name",
    "task_for",
    "verdict_scorer",
]
