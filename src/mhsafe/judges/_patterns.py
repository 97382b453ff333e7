"""Pattern files: lexical rules live in YAML beside the code and are compiled once.

Keeping the phrases in data files lets a clinician read and extend what a detector looks for
without reading Python, and keeps detectors honest: the held-out accuracy in docs/judges.md is
measured against exactly these files.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_pattern_file(name: str) -> dict[str, Any]:
    """Parsed ``data/<name>.yaml``; cached because detectors run on every reply."""
    path = resources.files("mhsafe.judges").joinpath(f"data/{name}.yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"pattern file {name}.yaml must hold a mapping")
    return data


def _compile(alternatives: list[str], flags: int) -> re.Pattern[str]:
    if not alternatives:
        raise ValueError("a pattern group needs at least one alternative")
    return re.compile("|".join(f"(?:{a})" for a in alternatives), flags)


@cache
def compiled(name: str, *keys: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """One regex that matches any alternative listed under ``keys`` (a path into the file,
    e.g. ``compiled("crisis_support_patterns", "resource_context", "contact")``)."""
    node: Any = load_pattern_file(name)
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            raise KeyError(f"{name}.yaml has no pattern group {'/'.join(keys)}")
        node = node[key]
    if not isinstance(node, list) or not all(isinstance(a, str) for a in node):
        raise ValueError(f"{name}.yaml {'/'.join(keys)} must be a list of regex strings")
    return _compile(node, flags)


def group_names(name: str, *keys: str) -> list[str]:
    """The names of the pattern groups under ``keys`` (e.g. the harm kinds), in file order."""
    node: Any = load_pattern_file(name)
    for key in keys:
        node = node[key]
    if not isinstance(node, dict):
        raise ValueError(f"{name}.yaml {'/'.join(keys)} must be a mapping")
    return [str(k) for k in node]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences. Abbreviations like 'U.S.' do not end a sentence; a
    semicolon or line break does, because replies list one resource per line or clause."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


_SENTENCE_END = re.compile(r"[!?;\n]+|(?<![A-Z])\.(?=\s|$)")


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"'})


def plain_quotes(text: str) -> str:
    """Typographic apostrophes and quotes as ASCII: models write "can\u2019t" as often as
    "can't", and every pattern file is written with the straight apostrophe."""
    return text.translate(_QUOTES)
