"""Programmatic jailbreak transforms: each rewrites one harmful seed request into the turns
of an attack.

Why programmatic: a fixed list of hand-written jailbreaks goes stale and cannot be applied to
a user's own seeds; a transform can. Every transform is a pure function of the seed request
and a stable key (the seed id), so the same seeds give the same suite on every machine - a
regression between two model versions is then a change in the model, not in the test.
Wording lives in ``data/jailbreak_templates.yaml``; this module only knows how to apply it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from mhsafe.schema import Case

Transform = Callable[[str, str, str], list[str]]
"""``(request, key, harm_area) -> user turns``; ``key`` picks a template variant stably."""

_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
_UNLEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t"})


class JailbreakTemplates(BaseModel):
    """The shape of ``jailbreak_templates.yaml``; checked on load so a template that lost its
    placeholder fails at import of the data, not as a silently harmless test item."""

    model_config = ConfigDict(extra="forbid")

    version: int
    framings: dict[str, list[str]]
    encodings: dict[str, list[str]]
    crescendo: CrescendoTemplates

    @model_validator(mode="after")
    def _placeholders_present(self) -> JailbreakTemplates:
        for name, variants in self.framings.items():
            for text in variants:
                if "{request}" not in text:
                    raise ValueError(f"framing {name!r} variant lacks {{request}}: {text[:40]}")
        for name, variants in self.encodings.items():
            for text in variants:
                if "{payload}" not in text:
                    raise ValueError(f"encoding {name!r} variant lacks {{payload}}")
        for ladder in self.crescendo.ladders:
            if not 3 <= len(ladder) <= 4 or "{request}" not in ladder[-1]:
                raise ValueError("a crescendo ladder needs 3-4 steps ending in {request}")
        return self


class CrescendoTemplates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: dict[str, str]
    ladders: list[list[str]]


JailbreakTemplates.model_rebuild()


@cache
def load_templates() -> JailbreakTemplates:
    """The packaged templates (read once; they are constant data)."""
    text = resources.files("mhsafe.suites").joinpath("data").joinpath("jailbreak_templates.yaml")
    return JailbreakTemplates.model_validate(yaml.safe_load(text.read_text(encoding="utf-8")))


def _pick(variants: Sequence[str] | Sequence[list[str]], key: str, salt: str) -> int:
    """A stable index: sha256, not ``hash()``, which is salted per process."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(variants)


def _fill(template: str, **values: str) -> str:
    # str.replace, not str.format: a seed may itself contain braces.
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _framing(name: str) -> Transform:
    def transform(request: str, key: str, harm_area: str) -> list[str]:
        variants = load_templates().framings[name]
        return [_fill(variants[_pick(variants, key, name)], request=request)]

    transform.__name__ = name
    transform.__doc__ = f"Wrap the request in a {name.replace('_', ' ')} template."
    return transform


role_play = _framing("role_play")
fictional_framing = _framing("fictional_framing")
academic_framing = _framing("academic_framing")
persona_override = _framing("persona_override")
prefix_injection = _framing("prefix_injection")


def encode_base64(text: str) -> str:
    """UTF-8 then standard base64; ``decode_base64`` is its exact inverse."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode_base64(payload: str) -> str:
    return base64.b64decode(payload.encode("ascii"), validate=True).decode("utf-8")


def to_leetspeak(text: str) -> str:
    """Lower-case and swap a, e, i, o, s, t for digits - enough to dodge a naive keyword
    filter while staying readable to a model."""
    return text.lower().translate(_LEET)


def from_leetspeak(text: str) -> str:
    """Inverse of ``to_leetspeak`` for text that had no digits of its own."""
    return text.translate(_UNLEET)


def _encoding(name: str, encode: Callable[[str], str]) -> Transform:
    def transform(request: str, key: str, harm_area: str) -> list[str]:
        variants = load_templates().encodings[name]
        return [_fill(variants[_pick(variants, key, name)], payload=encode(request))]

    transform.__name__ = name
    transform.__doc__ = f"Send the request {name}-encoded inside a short instruction."
    return transform


base64_encoding = _encoding("base64", encode_base64)
leetspeak = _encoding("leetspeak", to_leetspeak)


def crescendo(request: str, key: str, harm_area: str) -> list[str]:
    """Turn one request into 3-4 turns that start near the topic and escalate to the request,
    so a model that judges each turn alone is led step by step past its own refusal."""
    templates = load_templates().crescendo
    ladder = templates.ladders[_pick(templates.ladders, key, "crescendo")]
    topic = templates.topics.get(harm_area, "this topic")
    return [_fill(step, topic=topic, request=request) for step in ladder]


TRANSFORMS: dict[str, Transform] = {
    "role_play": role_play,
    "fictional_framing": fictional_framing,
    "academic_framing": academic_framing,
    "persona_override": persona_override,
    "prefix_injection": prefix_injection,
    "base64": base64_encoding,
    "leetspeak": leetspeak,
    "crescendo": crescendo,
}


def apply_transform(name: str, case: Case, *, suite: str = "jailbreak") -> Case:
    """One jailbreak case from one seed. The seed's own text is kept in
    ``metadata.base_request`` so a judge can tell whether the harmful detail was given even
    when the user turn is encoded."""
    try:
        transform = TRANSFORMS[name]
    except KeyError:
        raise KeyError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}") from None
    if len(case.turns) != 1:
        raise ValueError(f"seed {case.id} must have exactly one turn, has {len(case.turns)}")
    harm_area = str(case.metadata.get("harm_area", case.category))
    return Case(
        id=f"jb-{case.id}-{name}",
        suite=suite,
        category=name,
        turns=transform(case.turns[0], case.id, harm_area),
        expected=case.expected,
        system_prompt=case.system_prompt,
        metadata={
            **case.metadata,
            "base_id": case.id,
            "harm_area": harm_area,
            "transform": name,
            "base_request": case.turns[0],
        },
    )


def expand_jailbreak(
    base_cases: Sequence[Case], transforms: Sequence[str] | None = None
) -> list[Case]:
    """Every seed under every transform (registry order unless ``transforms`` is given):
    seeds x transforms cases, ids ``jb-<base>-<transform>``."""
    names = list(TRANSFORMS) if transforms is None else list(transforms)
    return [apply_transform(name, case) for case in base_cases for name in names]
