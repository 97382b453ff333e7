"""Undo the tricks people use to get past keyword filters, before the lexicon looks again.

Full-width letters, zero-width characters inside a word, stacked combining accents, spaced-out
letters ("k i l l") and leetspeak ("k1ll mys3lf") all hide a disclosure from a pattern written
for plain text. The lexicon matches the text as written first; only when that finds no risk and
this normalised form differs does it look again, so normalisation can add a hit and never
remove one (and costs nothing on ordinary text).
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_LEET = str.maketrans({"1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "0": "o", "5": "s",
                       "$": "s", "7": "t", "+": "t"})
# A word that mixes letters with leet symbols ("k1ll", "mys3lf", "$uicide").
_LEET_WORD = re.compile(r"(?<!\S)(?=\S*[a-z])(?=\S*[0-9@$!+])[a-z0-9@$!+]{3,}(?!\S)", re.I)
# Three or more single letters each separated by one space, dot, hyphen or underscore.
_SPACED = re.compile(r"(?<![\w])(?:[a-z][ .\-_]){2,}[a-z](?![\w])", re.I)
_SEPARATOR = re.compile(r"[ .\-_]")


# Accented letters that the covered languages really use; any other accented Latin letter in a
# word ("ḱíll") marks the whole word as camouflage.
_NATIVE = frozenset("áéíóúàèìòùâêîôûäëïöüÿãõñçåøæœß" + "áéíóúàèìòùâêîôûäëïöüÿãõñçåøæœ".upper())
_WORDS = re.compile(r"\S+")


def _camouflaged(word: str) -> bool:
    for ch in word:
        if unicodedata.combining(ch):
            return True
        if not ch.isascii() and ch.isalpha() and ch not in _NATIVE:
            base = unicodedata.normalize("NFD", ch)[0]
            if base.isascii():
                return True
    return False


def _bare(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _strip_marks(text: str) -> str:
    """Drop accents from words that use them as camouflage (stacked combining marks, or a
    letter no covered language writes, such as "ḱ"); words accented as their language spells
    them ("qué", "Köln") keep their form."""
    composed = unicodedata.normalize("NFC", text)
    return _WORDS.sub(lambda m: _bare(m.group(0)) if _camouflaged(m.group(0)) else m.group(0),
                      composed)


def deobfuscate(text: str) -> str:
    """The text as a filter-dodger meant it to read."""
    plain = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    plain = _strip_marks(plain)
    plain = _SPACED.sub(lambda m: _SEPARATOR.sub("", m.group(0)), plain)
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
