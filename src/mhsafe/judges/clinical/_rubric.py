"""The clinical rubric: three versioned files (one per criterion group) asked in ONE call.

Each group file (``data/rubrics/clinical_*.yaml``) is a judges-room :class:`Rubric` a clinician
can read and version on its own. A judge call must still return every criterion as one JSON
object, so :func:`clinical_rubric` joins the groups: instructions (and each paraphrase) are the
groups' texts in order, criteria are concatenated, and the version records every group's
version (``quality-1+failure_patterns-1+safety-1``) so a stored judgment names exactly what
was asked.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from mhsafe.judges import Rubric

GROUPS: tuple[str, ...] = ("clinical_quality", "clinical_failure_patterns", "clinical_safety")
RUBRIC_NAME = "clinical"
_FOCUS = (
    "Judge the assistant's replies (when one reply is under review, the last one) in the "
    "context of the conversation."
)


@cache
def load_group(name: str) -> Rubric:
    """One criterion-group rubric file."""
    path = resources.files("mhsafe.judges.clinical").joinpath(f"data/rubrics/{name}.yaml")
    return Rubric.model_validate(yaml.safe_load(path.read_text("utf-8")))


@cache
def clinical_rubric() -> Rubric:
    """The three groups joined into the rubric every clinical LLM judge answers."""
    groups = [load_group(g) for g in GROUPS]
    n_phrasings = min(len(g.paraphrases) for g in groups)
    return Rubric(
        name=RUBRIC_NAME,
        version="+".join(f"{g.name.removeprefix('clinical_')}-{g.version}" for g in groups),
        description="Clinical quality, failure patterns and safety of replies in PE/CBT work.",
        instructions=" ".join([*(g.instructions.strip() for g in groups), _FOCUS]),
        criteria=[c for g in groups for c in g.criteria],
        paraphrases=[
            " ".join([*(g.paraphrases[k].strip() for g in groups), _FOCUS])
            for k in range(n_phrasings)
        ],
    )
