"""Which language a turn is in, so that a language the screen does not cover fails closed.

The lexicon has rules for English and for Spanish, Portuguese, French, German, Italian, Dutch and
romanised Hindi; the embedding classifier is English. A turn in any other language that the
lexicon finds nothing in has not been *cleared*, it has not been read: the screen returns
``risk=None`` for it (counted, and shown as ``unjudged``), never ``no_risk``.

Detection is py3langid (a naive-Bayes byte-n-gram model that ships inside its wheel, ~50 us a
turn) behind two cheap checks: a turn mostly in a non-Latin script is not in a covered language
whatever the model says, and a Latin-script turn full of English function words is English
(teen slang and typos confuse the model far more than they confuse a reader). A turn too short
to tell ("ok", "thx") is left to the lexicon, which settles it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

#: Languages the screen has rules for. Romanised Hindi has lexicon rules too, but no language
#: model recognises it reliably, so a Hinglish turn without a rule hit is still fail-closed.
COVERED = frozenset({"en", "es", "pt", "fr", "de", "it", "nl"})

_MAX_CHARS = 2_000  # detection reads the start of a long turn: language does not change midway
_MIN_WORDS = 4
_MIN_LETTERS = 8
_MIN_COVERED_MASS = 0.2
_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH_WORDS = (
    "i im i'm me my you your the a an and but or so is are was were be been am do does did "
    "not dont don't can't cant it its it's this that what how why when just to of in on for "
    "with at have has had want feel like know think really about all no yes ok"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The language model, loaded once per process (about a second, 5 MB)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _latin_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    latin = sum("LATIN" in unicodedata.name(ch, "") for ch in letters)
    return latin / len(letters)


def _looks_english(words: list[str]) -> bool:
    hits = sum(w in _ENGLISH for w in words)
    return hits >= 2 and hits >= 0.2 * len(words)


def uncovered_language(text: str) -> str | None:
    """The ISO code of the turn's language when it is one the screen does not cover; ``None``
    when the turn is covered or too short to tell."""
    head = text[:_MAX_CHARS]
    if _latin_share(head) < 0.5:
        # Scripts without spaces between words (Japanese, Chinese, Thai) are counted in letters.
        if sum(ch.isalpha() for ch in head) < _MIN_LETTERS:
            return None
        lang, _ = _identifier().classify(head)
        return str(lang) if lang not in COVERED else "und"
    words = [w.lower() for w in _WORD.findall(head)]
    if len(words) < _MIN_WORDS:
        return None
    if _looks_english(words):
        return None
    ranking = _identifier().rank(head)
    # Short or slangy text spreads probability thinly; it is covered when the covered
    # languages together hold a fair share, whichever one tops the list.
    if sum(p for lang, p in ranking if lang in COVERED) >= _MIN_COVERED_MASS:
        return None
    return str(ranking[0][0])


__all__ = ["COVERED", "uncovered_language"]
