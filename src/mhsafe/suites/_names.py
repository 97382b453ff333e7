"""Suite names as people type them: ``suicide-risk`` is ``suicide_risk``, and a typo gets the
closest known name instead of a list of ten.

Why here: every place a suite name comes in (``mhsafe eval SUITE``, ``report --ecological``)
must accept the same spellings, or a name that works in one command fails in the next.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UnknownSuiteError(KeyError):
    """No suite of that name. A ``KeyError`` (what ``load_suite`` has always raised), whose
    message reads as a sentence rather than a quoted key."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(name)

    def __str__(self) -> str:
        close = difflib.get_close_matches(_canonical(self.name), self.known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return (f"unknown suite {self.name!r}; {hint}known suites: {', '.join(self.known)} "
                "(see `mhsafe suites`)")


def canonical_suite_name(name: str) -> str:
    """The spelling two names are compared in: case folded, ``-`` as ``_``."""
    return name.strip().lower().replace("-", "_")


_canonical = canonical_suite_name


def resolve_suite_name(name: str, known: Iterable[str]) -> str:
    """The registered name ``name`` means: exact, else with ``-``/``_`` and case folded.

    Raises ``UnknownSuiteError`` (naming the closest suite, by difflib) when none matches.
    """
    names = list(known)
    if name in names:
        return name
    by_canonical = {_canonical(n): n for n in names}
    found = by_canonical.get(_canonical(name))
    if found is None:
        raise UnknownSuiteError(name, names)
    return found
