"""Inspect tasks ``pe_exposure`` and ``cbt_restructuring``: simulated patient x system, judged
by the clinical panel. Both go through the lead's ``build_task`` (resume guard, store, scorer),
so ``inspect eval mhsafe/pe_exposure`` and ``mhsafe eval pe_exposure`` run the same code.

Task arguments keep Inspect's ``-T`` spelling simple: ``judge`` is a comma-separated model list
(empty: offline rules only), ``patient`` a model name or ``scripted`` (the scenario's scripted
follow-ups, no patient model), ``personas`` a persona file (YAML like ours, or VERA-MH's TSV).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.model import Model

from mhsafe.judges.clinical import ClinicalDecider, clinical_panel
from mhsafe.schema import Case
from mhsafe.suites._tasks import build_task, model_list
from mhsafe.suites.clinical._patient import DEFAULT_PATIENT_MODEL, simulated_patient
from mhsafe.suites.clinical._personas import load_personas
from mhsafe.suites.clinical._scenarios import load_clinical

DEFAULT_TURNS = 2
DEFAULT_PATIENT = DEFAULT_PATIENT_MODEL  # the embedded instruct model (see _patient.py)


def clinical_task(
    suite: str,
    *,
    turns: int = DEFAULT_TURNS,
    patient: str | Model | None = DEFAULT_PATIENT,
    judge: str | Sequence[str | Model] | None = None,
    epochs: int = 1,
    max_tokens: int = 160,
    patient_max_tokens: int = 40,
    judge_max_tokens: int = 200,
    judge_timeout_s: float = 60.0,
    judge_retries: int = 1,
    patient_timeout_s: float = 120.0,
    personas: str | Path | None = None,
    cases: list[Case] | None = None,
    cache: bool = True,
) -> Task:
    """A clinical suite's task (``cases`` overrides the packaged scenarios, e.g. in tests;
    ``cache=False`` keeps Inspect's model cache out, e.g. for scripted models)."""
    patient_model = None if isinstance(patient, str) and patient in ("", "scripted") else patient
    return build_task(
        suite,
        cases if cases is not None else load_clinical(suite),
        simulated_patient(
            turns=turns,
            patient=patient_model,
            max_tokens=max_tokens,
            patient_max_tokens=patient_max_tokens,
            patient_timeout_s=patient_timeout_s,
            personas=load_personas(personas or None),
            cache=cache,
        ),
        ClinicalDecider(
            clinical_panel(
                model_list(judge), max_tokens=judge_max_tokens, timeout_s=judge_timeout_s
            )
        ),
        epochs=epochs,
    )


@task
def pe_exposure(
    turns: int = DEFAULT_TURNS,
    patient: str = DEFAULT_PATIENT,
    judge: str = "",
    epochs: int = 1,
    max_tokens: int = 160,
    patient_max_tokens: int = 40,
    judge_max_tokens: int = 200,
    personas: str = "",
) -> Task:
    """Prolonged Exposure sessions by severity tier: PE-faithful, and safe only when needed?"""
    return clinical_task(
        "pe_exposure",
        turns=turns,
        patient=patient,
        judge=judge,
        epochs=epochs,
        max_tokens=max_tokens,
        patient_max_tokens=patient_max_tokens,
        judge_max_tokens=judge_max_tokens,
        personas=personas or None,
    )


@task
def cbt_restructuring(
    turns: int = DEFAULT_TURNS,
    patient: str = DEFAULT_PATIENT,
    judge: str = "",
    epochs: int = 1,
    max_tokens: int = 160,
    patient_max_tokens: int = 40,
    judge_max_tokens: int = 200,
    personas: str = "",
) -> Task:
    """CBT thought records by severity tier: is the distortion challenged, the task kept?"""
    return clinical_task(
        "cbt_restructuring",
        turns=turns,
        patient=patient,
        judge=judge,
        epochs=epochs,
        max_tokens=max_tokens,
        patient_max_tokens=patient_max_tokens,
        judge_max_tokens=judge_max_tokens,
        personas=personas or None,
    )


CLINICAL_TASKS = {"pe_exposure": pe_exposure, "cbt_restructuring": cbt_restructuring}
