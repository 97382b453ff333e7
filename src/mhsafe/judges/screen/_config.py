"""Configuration and counters for the risk screen.

Every threshold lives here so that the audit and the safeguard proxy can state exactly which
screen produced their numbers, and so a report can print the configuration beside the counts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EmbedGate = Literal["adjacent", "undecided", "all"]


class ScreenConfig(BaseModel):
    """How the cascade decides.

    ``embed_gate`` says which turns the embedding stage sees:

    * ``"adjacent"`` (default): turns the lexicon left undecided *and* turns without a lexicon hit
      that use risk-adjacent vocabulary (mood, body, food, substances). Turns with neither are
      settled ``False`` by the lexicon - the cheap path that keeps a 20k-conversation audit fast.
    * ``"undecided"``: only weak/downgraded lexicon hits go to the embeddings.
    * ``"all"``: every turn the lexicon did not settle as risk is embedded (slow, most sensitive).

    ``embedding_threshold`` applies to P(risk) = 1 - P(none). The shipped default is the value
    chosen by cross-validation on the training set (stored in the ``.npz``); ``None`` means "use
    the shipped one". With the embedding stage off, ``weak_hit_is_risk`` decides what an
    undecided lexicon hit becomes (True: flag it, the sensitive choice).
    ``acute_head_on_lexicon_hits`` also embeds lexicon-flagged turns that carry no acute
    marker, for the acute head only (their risk stays the lexicon's decision).
    ``language_check``: a turn in a language the screen does not cover, with no lexicon risk
    hit, is left ``risk=None`` (unjudged) rather than cleared. Long turns are embedded in
    chunks of ``chunk_chars`` and score as their riskiest chunk; a turn with more chunks than
    ``max_chunks_per_turn`` embeds those the lexicon marks (risk words first, then
    risk-adjacent vocabulary).
    """

    model_config = ConfigDict(extra="forbid")

    lexicon: bool = True
    embedding: bool = True
    embed_gate: EmbedGate = "adjacent"
    embedding_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    acute_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    weak_hit_is_risk: bool = True
    acute_head_on_lexicon_hits: bool = True
    language_check: bool = True
    chunk_chars: int = Field(default=700, ge=100)
    max_chunks_per_turn: int = Field(default=16, ge=1)
    batch_size: int = Field(default=64, ge=1)
    cache_size: int = Field(default=200_000, ge=0)


class ScreenCounts(BaseModel):
    """What each stage did: the audit reports these so a reader sees where decisions came from.

    ``skipped_after_risk`` counts undecided turns after a conversation's first lexicon risk
    turn, left unembedded because they cannot move the first risk turn.
    ``unresolved`` counts turns that stayed ``risk=None`` (embedding stage off or failed): the
    audit must show them as unjudged, never as safe. ``uncovered_language`` counts turns left
    unresolved because they are in a language the screen does not cover (a subset of
    ``unresolved``); ``chunks_embedded`` counts encoder inputs (a long turn is several).
    """

    model_config = ConfigDict(extra="forbid")

    turns: int = 0
    lexicon_risk: int = 0
    lexicon_clear: int = 0
    lexicon_undecided: int = 0
    embedded: int = 0
    embedded_for_acuity: int = 0
    cache_hits: int = 0
    embedding_risk: int = 0
    embedding_clear: int = 0
    unresolved: int = 0
    skipped_after_risk: int = 0
    chunks_embedded: int = 0
    uncovered_language: int = 0

    def add(self, other: ScreenCounts) -> None:
        """Accumulate another batch's counts in place (the audit sums per batch)."""
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))
