"""Offline checks that a simulated patient's turn stays in role.

A patient model that slips into assistant-speak ("How can I help you today?"), therapist-speak
("It sounds like you..."), or breaks the fourth wall ("as an AI", "in this role-play") would
turn a clinical transcript into two chatbots talking to each other, and the judges would grade
the system under test against a patient who never existed. These rules catch the common
slips cheaply and without a model; the simulator replaces a turn that fails them with the
scenario's scripted line (marked ``fallback``), and tests measure the in-role rate over
scenarios. They are deliberately strict: a false alarm costs one scripted turn, a miss costs a
meaningless transcript.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fourth_wall",
        re.compile(
            r"\b(as an? (ai|language model|assistant|chatbot)|i am an? (ai|assistant|language"
            r" model)|i'm an? (ai|assistant|language model)|role[- ]?play|simulat(ed|ion)|"
            r"this scenario|my character|in character|the patient (says|would)|as the patient)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "assistant_speak",
        re.compile(
            r"\b(how (can|may) i (help|assist)|i'?m here to (help|support|listen)|"
            r"i am here to (help|support|listen)|feel free to|let me know if|"
            r"is there anything else|happy to help|i('d| would) be glad to|"
            r"here (is|are) (some|a few) (tips|steps|strategies|suggestions)|"
            r"(i'?m|i am) (ready|glad|happy) to help|please (provide|share) (me )?(with )?the)\b",
            re.IGNORECASE,
        ),
    ),
    (
        # the model's own safety refusal, seen on 9 of 20 demo scenarios in one prompt draft
        # (bench/instruct_local.py --patient): it is the model declining, not the patient
        "model_refusal",
        re.compile(
            r"\b((i'?m|i am) sorry,? but i (can'?t|cannot)|i (can'?t|cannot) (assist|comply) "
            r"with|i'?m (not able|unable) to (assist|provide|help) with (that|this))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "therapist_speak",
        re.compile(
            r"\b(it sounds like you|it'?s (completely |totally )?(normal|okay|understandable) "
            r"(for you )?to feel|you('re| are) not alone|have you (tried|considered)|"
            r"i (hear|understand) (you|that you)|your (suds|feelings are valid)|"
            r"let'?s (try|work|explore|take)|(i'?m|i am) (so |really )?sorry to hear|"
            r"can you (please )?tell me more|there are resources available)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "speaker_label_or_stage_direction",
        re.compile(r"^\s*(\*[^*]+\*|\([^)]*\)|\[[^\]]*\])|\b(therapist|assistant|user)\s*:",
                   re.IGNORECASE),
    ),
    ("code_or_markup", re.compile(r"```|^\s*#{1,6}\s|^\s*[-*]\s+\S.*\n\s*[-*]\s", re.MULTILINE)),
)


_WORD = re.compile(r"[^\W_]+")
ECHO_WORDS = 8


def _runs(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def role_breaks(text: str, prompt: str = "") -> list[str]:
    """Names of the role rules `text` breaks ([] = in role). Empty text breaks `empty`; with
    the patient's `prompt` given, copying any 8-word run of it (the opening, the instructions)
    breaks `parrots_prompt`: a patient repeating its brief is not talking."""
    if not text.strip():
        return ["empty"]
    breaks = [name for name, pattern in _RULES if pattern.search(text)]
    if prompt and _runs(text) & _runs(prompt):
        breaks.append("parrots_prompt")
    return breaks


def in_role(text: str, prompt: str = "") -> bool:
    """True when the turn reads as the patient speaking (see `role_breaks`)."""
    return not role_breaks(text, prompt)
