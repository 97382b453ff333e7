"""Judge cards out: ``judge_cards.json`` and a Markdown page a clinician can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mhsafe.validation._card import CardSet


def format_rate(rate: dict[str, Any], *, counts: bool = True, empty: str = "no data") -> str:
    """``0.70 [0.66, 0.74] (372/531)``: estimate, interval and (optionally) k/n."""
    if rate.get("estimate") is None:
        return empty
    low, high = rate.get("low"), rate.get("high")
    interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
    kn = f" ({rate['k']}/{rate['n']})" if counts and "k" in rate else ""
    return f"{rate['estimate']:.2f}{interval}{kn}"



_SUMMARY_COLUMNS = ("n", "decided", "Se", "Sp", "PPV", "NPV", "F1",
                    "Se (undecided = miss)")


_ORDINAL_COLUMNS = ("n", "decided", "exact agreement", "weighted κ (linear)", "MAE",
                    "exact (undecided = miss)")


def ordinal_markdown(cards: CardSet) -> list[str]:
    """The ordinal judges' table (exact agreement, weighted kappa) and confusion matrices."""
    if not cards.ordinal:
        return []
    lines = ["", "Ordinal judges (0/1/2): exact agreement with a Wilson interval, linearly "
             "weighted Cohen's κ with a bootstrap interval.", "",
             "| judge | " + " | ".join(_ORDINAL_COLUMNS) + " |",
             "|---|" + "---|" * len(_ORDINAL_COLUMNS)]
    payload = [c.to_json() for c in cards.ordinal]
    for c in payload:
        mae = "no data" if c["mean_absolute_error"] is None else f"{c['mean_absolute_error']:.2f}"
        cells = [str(c["n"]), format_rate(c["decided"]), format_rate(c["exact_agreement"]),
                 format_rate(c["weighted_kappa"]), mae, format_rate(c["exact_undecided_as_miss"])]
        lines.append(f"| {c['judge']} | " + " | ".join(cells) + " |")
    for c in payload:
        levels = c["levels"]
        lines += ["", f"**{c['judge']}: confusion (rows: label, columns: judge)**", "",
                  "| label / judge | " + " | ".join(str(v) for v in levels) + " |",
                  "|---|" + "---|" * len(levels)]
        lines += [f"| {a} | " + " | ".join(str(x) for x in row) + " |"
                  for a, row in zip(levels, c["confusion"]["matrix"], strict=True)]
        worst = ", ".join(f"`{i}`" for i in c["worst_misses"]) or "none"
        lines += ["", f"Largest disagreements (item ids): {worst}"]
    return lines


def cards_markdown(cards: CardSet, title: str = "Judge cards") -> str:
    """One summary table, then per judge its break-downs and worst misses (ids only)."""
    lines = [f"# {title}", "", f"Source: `{cards.source}` — {cards.n_items} items, "
             f"{cards.n_quarantined} quarantined. Rates are over the items the judge decided, "
             "with Wilson 95% intervals (F1: bootstrap); *decided* is the share it decided.", "",
             "| judge | " + " | ".join(_SUMMARY_COLUMNS) + " |",
             "|---|" + "---|" * len(_SUMMARY_COLUMNS)]
    payload = [c.to_json() for c in cards.cards]
    for c in payload:
        keys = ("decided", "sensitivity", "specificity", "ppv", "npv", "f1", "se_undecided_as_miss")
        cells = [str(c["n"]), *(format_rate(c[k]) for k in keys)]
        lines.append(f"| {c['judge']} | " + " | ".join(cells) + " |")
    lines += ordinal_markdown(cards)
    if cards.uncovered:
        lines += ["", "Labels no offline judge decides yet (decided share 0): "
                  + ", ".join(f"`{u}`" for u in cards.uncovered) + "."]
    for c in payload:
        lines += ["", f"## {c['judge']}", ""]
        for family, groups in c["breakdown"].items():
            lines += [f"**by {family}**", "", "| group | recall | specificity |", "|---|---|---|"]
            lines += [f"| {name} | {format_rate(g['recall'])} | {format_rate(g['specificity'])} |"
                      for name, g in groups.items()]
            lines.append("")
        worst = ", ".join(f"`{i}`" for i in c["worst_misses"]) or "none"
        lines.append(f"Worst misses (item ids; false negatives first, acute first): {worst}")
    return "\n".join(lines) + "\n"


def write_cards(cards: CardSet, out: Path, title: str = "Judge cards") -> tuple[Path, Path]:
    """Write ``judge_cards.json`` and ``judge_cards.md`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "judge_cards.json"
    md_path = out / "judge_cards.md"
    json_path.write_text(json.dumps(cards.to_json(), indent=2, ensure_ascii=False), "utf-8")
    md_path.write_text(cards_markdown(cards, title), "utf-8")
    return json_path, md_path


def summary_lines(cards: CardSet) -> list[str]:
    """One console line per card: judge, n, decided share, Se, Sp, F1."""

    def short(rate: dict[str, Any]) -> str:
        return "-" if rate.get("estimate") is None else f"{rate['estimate']:.2f}"

    lines = []
    for c in cards.cards:
        j = c.to_json()
        lines.append(f"{c.judge:44s} n={c.n:5d} decided={short(j['decided'])} "
                     f"Se={short(j['sensitivity'])} Sp={short(j['specificity'])} "
                     f"F1={short(j['f1'])}")
    for o in cards.ordinal:
        oj = o.to_json()
        lines.append(f"{o.judge:44s} n={o.n:5d} decided={short(oj['decided'])} "
                     f"exact={short(oj['exact_agreement'])} "
                     f"kappa_w={short(oj['weighted_kappa'])}")
    return lines
