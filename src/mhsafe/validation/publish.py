"""Quote the published judge cards in the README and docs (``make judge-cards`` runs this).

    python -m mhsafe.validation.publish docs/judge-cards.json README.md docs/screen.md

Each file's table sits between ``<!-- judge-cards:start -->`` and ``<!-- judge-cards:end -->``
and is always rewritten from the cards, so the figures a reader sees are the measured ones. A
start marker may name judge prefixes (``<!-- judge-cards:start screen intervention -->``): that
block then quotes only the judges whose names start with one of them. A marker
``<!-- judge-cards:start by:language screen: risk -->`` quotes one judge's recall and
specificity per language instead.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from mhsafe.validation._render import format_rate

_BLOCK = re.compile(r"<!-- judge-cards:start([^>]*)-->.*?<!-- judge-cards:end -->", re.S)


def table(cards_json: dict[str, Any], prefixes: tuple[str, ...] = ()) -> str:
    """The table: n, decided share, Se, Sp and F1 with intervals per judge (only judges whose
    name starts with one of ``prefixes``, when given)."""
    rows = ["| judge (frozen test split) | n | decided | Se | Sp | F1 |",
            "|---|---|---|---|---|---|"]
    for c in cards_json["cards"]:
        if prefixes and not str(c["judge"]).startswith(prefixes):
            continue
        se, sp, f1 = (format_rate(c[k], counts=False, empty="–")
                      for k in ("sensitivity", "specificity", "f1"))
        decided = f"{c['decided']['estimate']:.2f}"
        rows.append(f"| {c['judge']} | {c['n']} | {decided} | {se} | {sp} | {f1} |")
    return "\n".join(rows)


def by_language(cards_json: dict[str, Any], judge: str) -> str:
    """One judge's recall and specificity per language, with n and intervals."""
    card = next((c for c in cards_json["cards"] if c["judge"] == judge), None)
    if card is None:
        raise SystemExit(f"no card named {judge!r}")
    rows = [f"| language | {judge}: recall | specificity |", "|---|---|---|"]
    for language, rates in sorted(card["breakdown"].get("language", {}).items()):
        recall, spec = (format_rate(rates.get(k), empty="–") for k in ("recall", "specificity"))
        rows.append(f"| {language} | {recall} | {spec} |")
    return "\n".join(rows)


def _render(cards_json: dict[str, Any], args: str) -> str:
    words = args.split()
    if words and words[0] == "by:language":
        return by_language(cards_json, " ".join(words[1:]))
    return table(cards_json, tuple(words))


def publish(cards_path: Path, *targets: Path) -> None:
    """Rewrite every judge-card block in each target from ``cards_path``."""
    cards_json = json.loads(cards_path.read_text(encoding="utf-8"))
    for target in targets:
        text = target.read_text(encoding="utf-8")
        if not _BLOCK.search(text):
            raise SystemExit(f"{target}: no <!-- judge-cards:start/end --> block")

        def _block(match: re.Match[str]) -> str:
            return (f"<!-- judge-cards:start{match.group(1)}-->\n"
                    f"{_render(cards_json, match.group(1))}\n<!-- judge-cards:end -->")

        target.write_text(_BLOCK.sub(_block, text), encoding="utf-8")


if __name__ == "__main__":
    publish(Path(sys.argv[1]), *(Path(a) for a in sys.argv[2:]))
