"""Quote the published judge cards in the README (``make judge-cards`` runs this).

    python -m mhsafe.validation.publish docs/judge-cards.json README.md

The README's table sits between ``<!-- judge-cards:start -->`` and ``<!-- judge-cards:end -->``
and is always rewritten from the cards, so the figures a reader sees are the measured ones.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from mhsafe.validation._render import format_rate

_BLOCK = re.compile(r"<!-- judge-cards:start -->.*<!-- judge-cards:end -->", re.S)


def table(cards_json: dict[str, Any]) -> str:
    """The README table: n, decided share, Se, Sp and F1 with intervals per judge."""
    rows = ["| judge (frozen test split) | n | decided | Se | Sp | F1 |",
            "|---|---|---|---|---|---|"]
    for c in cards_json["cards"]:
        se, sp, f1 = (format_rate(c[k], counts=False, empty="–")
                      for k in ("sensitivity", "specificity", "f1"))
        decided = f"{c['decided']['estimate']:.2f}"
        rows.append(f"| {c['judge']} | {c['n']} | {decided} | {se} | {sp} | {f1} |")
    return "\n".join(rows)


def publish(cards_path: Path, readme: Path) -> None:
    """Rewrite the README's judge-card block from ``cards_path``."""
    cards_json = json.loads(cards_path.read_text(encoding="utf-8"))
    text = readme.read_text(encoding="utf-8")
    if not _BLOCK.search(text):
        raise SystemExit(f"{readme}: no <!-- judge-cards:start/end --> block")
    block = f"<!-- judge-cards:start -->\n{table(cards_json)}\n<!-- judge-cards:end -->"
    readme.write_text(_BLOCK.sub(lambda _: block, text), encoding="utf-8")


if __name__ == "__main__":
    publish(Path(sys.argv[1]), Path(sys.argv[2]))
