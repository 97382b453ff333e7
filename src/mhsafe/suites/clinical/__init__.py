"""Clinical protocol evaluation: Prolonged Exposure and CBT scenarios with a simulated patient.

Public face: ``load_clinical`` (the committed scenarios as ``schema.Case``), personas
(``Persona``, ``load_personas``, ``load_vera_personas``), the ``simulated_patient`` solver, and
``clinical_task`` for building the Inspect tasks. The ``@task`` functions ``pe_exposure`` and
``cbt_restructuring`` live in ``mhsafe.suites.clinical._tasks`` and are imported by the
registry, not here, so that loading scenarios never imports the runner (no import cycle with
``mhsafe.suites``' catalog). Judging is ``mhsafe.judges.clinical``.
"""

from mhsafe.suites.clinical._personas import (
    Persona,
    load_personas,
    load_vera_personas,
    patient_prompt,
    persona_for,
)
from mhsafe.suites.clinical._scenarios import CLINICAL_SUITES, load_clinical

__all__ = [
    "CLINICAL_SUITES",
    "Persona",
    "load_clinical",
    "load_personas",
    "load_vera_personas",
    "patient_prompt",
    "persona_for",
]
