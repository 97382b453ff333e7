"""The password policy: long enough, not a common password, and not guessable by pattern.

Length alone lets through "password12" and "qwertyuiop1". The accounts here protect health
conversations, and a leaked hash database is attacked offline (argon2 slows that, it does not
stop a guess that comes early in every cracking list). So a password must also

* not be, after undoing the usual character swaps, on the shipped common-password list
  (``data/common_passwords.txt``), nor contain the username;
* have an estimated strength of at least ``MIN_BITS`` bits. The estimate is a small
  zxcvbn-style one (no dependency): the password is covered by the cheapest explanation of
  each part -- a listed word, a keyboard walk, a run like "abcd"/"4321", a repeated character --
  and whatever no pattern explains costs the full alphabet per character. It under-rates
  random strings slightly and never over-rates a patterned one, which is the safe direction.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib.resources import files

MIN_PASSWORD_LENGTH = 10
#: About 10^12 guesses: out of reach of an offline attack on argon2id hashes for years.
MIN_BITS = 40.0
_SWAPS = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s",
                        "7": "t", "!": "i"})
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv")
_PATTERN_BITS = 6.0  # a walk, run or repeat: its start and length, little more
_YEAR = re.compile(r"(19|20)\d\d")
_YEAR_BITS = 7.0  # a recent year: about 130 likely values


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased."""
    text = files("mhsafe.review").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def _alphabet(password: str) -> int:
    size = 0
    size += 26 if any(c.islower() for c in password) else 0
    size += 26 if any(c.isupper() for c in password) else 0
    size += 10 if any(c.isdigit() for c in password) else 0
    size += 33 if any(not c.isalnum() for c in password) else 0
    return max(size, 10)


def _pattern_end(text: str, start: int) -> int:
    """End of the longest keyboard walk, run or repeat (3+ characters) starting at ``start``;
    ``start`` when there is none."""
    best = start
    for step in (0, 1, -1):  # repeat, ascending run, descending run
        end = start + 1
        while end < len(text) and ord(text[end]) - ord(text[end - 1]) == step:
            end += 1
        if end - start >= 3:
            best = max(best, end)
    for row in _KEYBOARD_ROWS:
        for sequence in (row, row[::-1]):
            length = 0
            while (start + length < len(text)
                   and sequence.find(text[start:start + length + 1]) >= 0):
                length += 1
            if length >= 4:
                best = max(best, start + length)
    return best


def strength_bits(password: str, context: tuple[str, ...] = ()) -> float:
    """Estimated bits of guessing work (see the module doc). ``context``: words an attacker
    would try first for this account (the username, the app's name)."""
    if not password:
        return 0.0
    words = common_passwords() | {c.lower() for c in context if len(c) >= 3}
    word_bits = math.log2(len(words)) + 1  # +1: capitalisation or a character swap
    raw = password.lower()  # walks and runs are looked for as typed
    swapped = raw.translate(_SWAPS)  # words also with "p4ssw0rd"-style swaps undone
    char_bits = math.log2(_alphabet(password))
    # cost[i]: cheapest explanation of password[:i] (dynamic programming over the string)
    cost = [0.0] + [math.inf] * len(raw)
    for i in range(len(raw)):
        if cost[i] == math.inf:
            continue
        cost[i + 1] = min(cost[i + 1], cost[i] + char_bits)
        for j in range(i + 3, len(raw) + 1):
            if raw[i:j] in words or swapped[i:j] in words:
                cost[j] = min(cost[j], cost[i] + word_bits)
        if _YEAR.match(raw, i):
            cost[i + 4] = min(cost[i + 4], cost[i] + _YEAR_BITS)
        end = _pattern_end(raw, i)
        if end > i:
            cost[end] = min(cost[end], cost[i] + _PATTERN_BITS)
    return cost[-1]


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why ``password`` may not be set, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    # the password itself, and its stem without the digits/symbols people append ("…2024!")
    stem = lowered.rstrip("0123456789!?.#*-_ ")
    candidates = {lowered, stem, lowered.translate(_SWAPS), stem.translate(_SWAPS)}
    if candidates & common_passwords():
        return "this is a commonly used password; choose another"
    if username and len(username) >= 3 and username.lower() in lowered:
        return "the password must not contain the username"
    context = ("mhsafe", "review", "clinician", *((username,) if username else ()))
    bits = strength_bits(password, context)
    if bits < MIN_BITS:
        return ("password is too easy to guess (common words, keyboard runs or repeats); "
                "a few unrelated words, or a longer password, will do")
    return None
