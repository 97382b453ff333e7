"""mhsafe.judges.screen: the one risk screen shared by the audit and the safeguard proxy.

A cascade: a compiled lexicon of risk language (slang, euphemism, acute markers, hard
negatives) on every user turn, then a sentence-embedding classifier only for the turns the
lexicon cannot settle. See docs/screen.md for how the classifier was trained and what it
scored on data it never saw.
"""

from ._cascade import UNCOVERED, ConversationScreen, RiskScreen
from ._chunks import CHUNK_CHARS, chunk_text
from ._config import EmbedGate, ScreenConfig, ScreenCounts
from ._embedding import Embedder, Prediction, RiskClassifier, model_dir
from ._evaluate import Confusion, evaluate_conversations, evaluate_turns
from ._language import COVERED, uncovered_language
from ._lexicon import THIRD_PERSON, Lexicon, LexiconHit, load_lexicon

__all__ = [
    "CHUNK_CHARS",
    "COVERED",
    "THIRD_PERSON",
    "UNCOVERED",
    "Confusion",
    "ConversationScreen",
    "EmbedGate",
    "Embedder",
    "Lexicon",
    "LexiconHit",
    "Prediction",
    "RiskClassifier",
    "RiskScreen",
    "ScreenConfig",
    "ScreenCounts",
    "chunk_text",
    "evaluate_conversations",
    "evaluate_turns",
    "load_lexicon",
    "model_dir",
    "uncovered_language",
]
