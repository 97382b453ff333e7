"""mhsafe.judges.screen: the one risk screen shared by the audit and the safeguard proxy.

A cascade: a compiled lexicon of risk language (slang, euphemism, acute markers, hard
negatives) on every user turn, then a sentence-embedding classifier only for the turns the
lexicon cannot settle. See docs/screen.md for how the classifier was trained and what it
scored on data it never saw.
"""

from ._cascade import ConversationScreen, RiskScreen
from ._config import EmbedGate, ScreenConfig, ScreenCounts
from ._embedding import Embedder, Prediction, RiskClassifier, model_dir
from ._evaluate import Confusion, evaluate_conversations, evaluate_turns
from ._lexicon import THIRD_PERSON, Lexicon, LexiconHit, load_lexicon

__all__ = [
    "THIRD_PERSON",
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
    "evaluate_conversations",
    "evaluate_turns",
    "load_lexicon",
    "model_dir",
]
