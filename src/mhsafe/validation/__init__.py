"""mhsafe.validation: measure every offline judge against labels it was not built from.

A safety rate is only as good as the judge behind it. This room reads labelled items (the
frozen corpus shipped in ``data/``, a team's own clinician-labelled file, or adjudications
exported from the review app), runs every offline judge the labels cover, and writes a *judge
card* per judge: n, Se, Sp, PPV, NPV, F1 with Wilson 95% intervals, the share the judge decided
(an undecided item is never counted as a negative), break-downs by phenomenon tag, language and
risk category, and the worst misses as item ids (never text).
"""

from mhsafe.validation._card import BinaryCard, CardSet, build_cards
from mhsafe.validation._corpus import CORPUS_DIR, SPLITS, corpus_files, split_sha256
from mhsafe.validation._items import LabelledItem, load_labelled
from mhsafe.validation._judges import JUDGES
from mhsafe.validation._render import cards_markdown, summary_lines, write_cards

__all__ = [
    "CORPUS_DIR",
    "JUDGES",
    "SPLITS",
    "BinaryCard",
    "CardSet",
    "LabelledItem",
    "build_cards",
    "cards_markdown",
    "corpus_files",
    "load_labelled",
    "split_sha256",
    "summary_lines",
    "write_cards",
]
