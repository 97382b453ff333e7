"""Rubrics as files: what a judge is asked, in words a clinician can read and version.

A rubric (``rubrics/<criterion>.yaml``) names its criteria and their types. From those types we
build the pydantic model the LLM judge must fill, so the JSON schema the model is constrained
to, the validation of its answer, and the document a reviewer reads are one and the same.
``paraphrases`` give alternative wordings of the instructions, used to check that a judge's
answer does not hinge on phrasing.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

CriterionType = Literal["bool", "label", "score"]


class Criterion(BaseModel):
    """One question. ``label`` needs ``labels``; ``score`` is an integer in [min, max]."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: CriterionType
    question: str
    labels: list[str] = Field(default_factory=list)
    min: int = 0
    max: int = 2

    @model_validator(mode="after")
    def _check_type(self) -> Criterion:
        if self.type == "label" and len(self.labels) < 2:
            raise ValueError(f"label criterion {self.name!r} needs at least two labels")
        if self.type == "score" and self.min >= self.max:
            raise ValueError(f"score criterion {self.name!r} needs min < max")
        return self

    def annotation(self) -> Any:
        """The Python type the judge's answer must have for this criterion."""
        if self.type == "bool":
            return bool
        if self.type == "label":
            return Literal[tuple(self.labels)]
        return int


class Rubric(BaseModel):
    """A versioned set of criteria plus the instructions (and paraphrases) a judge reads."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    description: str = ""
    instructions: str
    criteria: list[Criterion]
    paraphrases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_criteria(self) -> Rubric:
        names = [c.name for c in self.criteria]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"rubric {self.name!r} needs unique, non-empty criteria")
        return self

    def phrasing(self, index: int) -> str:
        """Instructions in wording ``index`` (0 = the canonical text)."""
        if index == 0:
            return self.instructions
        if not 1 <= index <= len(self.paraphrases):
            raise ValueError(f"rubric {self.name!r} has no phrasing {index}")
        return self.paraphrases[index - 1]

    def output_model(self) -> type[BaseModel]:
        """A closed pydantic model with one required field per criterion (score criteria are
        bounded ints), in rubric order — the tight schema the judge must fill."""
        fields: dict[str, Any] = {}
        for c in self.criteria:
            if c.type == "score":
                fields[c.name] = (int, Field(ge=c.min, le=c.max))
            else:
                fields[c.name] = (c.annotation(), ...)
        model: type[BaseModel] = create_model(
            f"{self.name.title().replace('_', '')}Answer",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        return model


@cache
def load_rubric(name: str) -> Rubric:
    """Load and validate ``rubrics/<name>.yaml`` (cached; rubric files are read-only)."""
    path = resources.files("mhsafe.judges").joinpath(f"rubrics/{name}.yaml")
    if not path.is_file():
        raise FileNotFoundError(f"no rubric named {name!r}")
    return Rubric.model_validate(yaml.safe_load(path.read_text("utf-8")))


def rubric_names() -> list[str]:
    """Every rubric shipped with mhsafe."""
    folder = resources.files("mhsafe.judges").joinpath("rubrics")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
