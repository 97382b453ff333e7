"""The cascade: lexicon on every user turn, embeddings only for what the lexicon cannot settle.

Later stages only add recall: a decisive lexicon hit is never embedded, so the classifier cannot
clear it; the classifier decides turns the lexicon left undecided (a weak hit, a decisive hit
that a context marker in the same sentence downgraded, or risk-adjacent vocabulary). A turn in a
language the screen does not cover, with no risk hit, stays ``risk=None`` (unjudged). Long turns
are embedded chunk by chunk and score as their riskiest chunk.

One implementation serves both the audit (batches of logged conversations) and the safeguard
proxy (one live turn at a time), so both report the same screen with the same thresholds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

from mhsafe.schema import Message, ScreenResult

from ._chunks import chunk_text
from ._config import ScreenConfig, ScreenCounts
from ._embedding import Embedder, Prediction, RiskClassifier
from ._language import uncovered_language
from ._lexicon import THIRD_PERSON, LexiconHit, load_lexicon

UNCOVERED = "lang.uncovered"
"""Marker in ``ScreenResult.matched``: the turn is in a language the screen does not cover, so
it was not cleared (``risk=None``)."""

log = logging.getLogger(__name__)


class _Turn(NamedTuple):
    """One user turn's outcome inside a conversation, for the per-conversation tally."""

    message_index: int
    result: ScreenResult
    skipped: bool
    for_acuity: bool


class ConversationScreen(NamedTuple):
    """A screened conversation.

    ``risk_turn`` indexes ``messages`` (not user turns) and is the first user turn flagged.
    ``result`` is that turn's result with ``acute`` raised if any later flagged turn is acute;
    with no risk turn it is ``risk=False``, or ``risk=None`` if any turn stayed unresolved
    (fail closed: unknown is never safe).
    """

    risk_turn: int | None
    result: ScreenResult
    counts: ScreenCounts


class RiskScreen:
    """Lexicon -> embedding risk screen. Models load lazily on the first turn that needs them."""

    def __init__(
        self,
        config: ScreenConfig | None = None,
        embedder: Embedder | None = None,
        classifier: RiskClassifier | None = None,
    ) -> None:
        """``embedder`` lets several screens share one loaded encoder (and its cache);
        ``classifier`` replaces the shipped weights (a retrained or site-specific head)."""
        self.config = config or ScreenConfig()
        self._lexicon = load_lexicon() if self.config.lexicon else None
        self._embedder: Embedder | None = embedder
        self._classifier: RiskClassifier | None = classifier
        self._embed_error: str | None = None

    # -- public -----------------------------------------------------------------------------

    def screen_turns(self, texts: Sequence[str]) -> list[ScreenResult]:
        """Screen user turns as one batch (embedding the undecided ones together)."""
        results, _ = self._screen(list(texts))
        return results

    def screen_turns_counted(
        self, texts: Sequence[str]
    ) -> tuple[list[ScreenResult], ScreenCounts]:
        """As :meth:`screen_turns`, plus what each stage did."""
        return self._screen(list(texts))

    def screen_conversation(self, messages: Sequence[Message]) -> ConversationScreen:
        """Screen the user turns of one conversation."""
        return self.screen_conversations([messages])[0]

    def screen_conversations(
        self, conversations: Sequence[Sequence[Message]]
    ) -> list[ConversationScreen]:
        """Screen many conversations with one embedding batch (the audit's path).

        Undecided turns after a conversation's first decisive lexicon hit are not embedded:
        they cannot move the first risk turn, and skipping them is most of the saving.
        """
        index: list[tuple[int, int]] = []  # (conversation, message index) per user turn
        texts: list[str] = []
        for ci, messages in enumerate(conversations):
            for mi, message in enumerate(messages):
                if message.role == "user":
                    index.append((ci, mi))
                    texts.append(message.content)
        hits = [self._lexicon.match(t) for t in texts] if self._lexicon else None
        skip = self._after_first_decisive(index, hits) if hits else set()
        acuity: set[int] = set()
        results, _ = self._screen(texts, hits=hits, skip=skip, acuity_out=acuity)
        per_conv: list[list[_Turn]] = [[] for _ in conversations]
        for k, ((ci, mi), result) in enumerate(zip(index, results, strict=True)):
            per_conv[ci].append(_Turn(mi, result, k in skip, k in acuity))
        return [self._summarise(turns) for turns in per_conv]

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _after_first_decisive(
        index: list[tuple[int, int]], hits: list[LexiconHit]
    ) -> set[int]:
        first: dict[int, int] = {}
        skip: set[int] = set()
        for k, ((ci, _), hit) in enumerate(zip(index, hits, strict=True)):
            if ci in first:
                skip.add(k)
            elif hit.result.risk is True:
                first[ci] = k
        return skip

    def _screen(
        self,
        texts: list[str],
        hits: list[LexiconHit] | None = None,
        skip: set[int] | None = None,
        acuity_out: set[int] | None = None,
    ) -> tuple[list[ScreenResult], ScreenCounts]:
        counts = ScreenCounts(turns=len(texts))
        skip = skip or set()
        if self._lexicon is not None and hits is None:
            hits = [self._lexicon.match(t) for t in texts]
        results: list[ScreenResult] = []
        to_embed: list[int] = []
        for_acuity: list[int] = []
        for k, text in enumerate(texts):
            hit = hits[k] if hits is not None else None
            result = hit.result if hit else ScreenResult(risk=None, stage="none")
            if hit is not None:
                if result.risk is True:
                    counts.lexicon_risk += 1
                elif result.risk is False:
                    counts.lexicon_clear += 1
                else:
                    counts.lexicon_undecided += 1
            if result.risk is not True and k not in skip and self._uncovered(text):
                counts.uncovered_language += 1
                results.append(ScreenResult(risk=None, stage="none",
                                            matched=[*result.matched, UNCOVERED]))
                continue
            if k not in skip and self._wants_embedding(hit, text):
                to_embed.append(k)
            elif (
                hit is not None
                and result.risk is True
                and not hit.third_person
                and not result.acute
                and self.config.acute_head_on_lexicon_hits
            ):
                for_acuity.append(k)
            results.append(result)
        if (to_embed or for_acuity) and self.config.embedding:
            self._embed_into(texts, hits, to_embed, for_acuity, results, counts)
            if acuity_out is not None and self._embed_error is None:
                acuity_out.update(for_acuity)
        if not self.config.embedding and hits is not None:
            results = [self._resolve_without_embedding(r) for r in results]
        counts.unresolved = sum(
            r.risk is None for k, r in enumerate(results) if k not in skip
        )
        return results, counts

    def _uncovered(self, text: str) -> bool:
        return self.config.language_check and uncovered_language(text) is not None

    def _wants_embedding(self, hit: LexiconHit | None, text: str) -> bool:
        if not text.strip():
            return False
        if hit is None:
            return True
        risk = hit.result.risk
        gate = self.config.embed_gate
        if risk is True:
            return False
        if gate == "all":
            return True
        if gate == "undecided":
            return risk is None and bool(hit.result.matched)
        return risk is None

    def _embed_into(
        self,
        texts: list[str],
        hits: list[LexiconHit] | None,
        to_embed: list[int],
        for_acuity: list[int],
        results: list[ScreenResult],
        counts: ScreenCounts,
    ) -> None:
        """Embed undecided turns (risk decision) and lexicon-flagged turns without an acute
        marker (acuity only: the marker list is narrow, and these turns are rare) in one
        batch."""
        if self._embed_error is not None:
            return
        wanted = to_embed + for_acuity
        chunks = [self._chunks(texts[k]) for k in wanted]
        flat = [c for turn in chunks for c in turn]
        try:
            embedder, classifier = self._models()
            before = embedder.cache_hits
            vectors = embedder.encode(flat)
            chunk_predictions = classifier.predict(vectors)
        except Exception as exc:  # fail closed: undecided turns stay risk=None
            self._embed_error = f"{type(exc).__name__}: {exc}"
            log.error("embedding stage unavailable (%s); undecided turns stay unresolved",
                      type(exc).__name__)
            return
        predictions = _riskiest_per_turn(chunk_predictions, [len(c) for c in chunks])
        counts.embedded += len(to_embed)
        counts.embedded_for_acuity += len(for_acuity)
        counts.chunks_embedded += len(flat)
        counts.cache_hits += embedder.cache_hits - before
        threshold = self._threshold(classifier)
        acute_threshold = (
            self.config.acute_threshold
            if self.config.acute_threshold is not None
            else classifier.acute_threshold
        )
        for k, pred in zip(for_acuity, predictions[len(to_embed):], strict=True):
            if pred.p_acute >= acute_threshold:
                results[k] = results[k].model_copy(
                    update={"acute": True, "matched": [*results[k].matched, "embed.acute"]}
                )
        for k, pred in zip(to_embed, predictions[: len(to_embed)], strict=True):
            hit = hits[k] if hits is not None else None
            risk = pred.p_risk >= threshold
            third = hit is not None and hit.third_person
            category = (hit.hint if hit is not None and hit.hint != "none" else pred.category)
            acute = risk and not third and (
                pred.p_acute >= acute_threshold or bool(hit and hit.acute_markers)
            )
            matched = list(hit.result.matched) if hit else []
            results[k] = ScreenResult(
                risk=risk,
                category=category if risk else "none",
                acute=acute,
                score=pred.p_risk,
                stage="embedding",
                matched=matched + (hit.acute_markers if hit and risk else []),
            )
            if risk:
                counts.embedding_risk += 1
            else:
                counts.embedding_clear += 1

    def _chunks(self, text: str) -> list[str]:
        """The pieces of a turn to embed: all of a short turn; of a long one, the chunks the
        lexicon marks, risk words first, at most ``max_chunks_per_turn``. A chunk where the
        lexicon found nothing at all is clear at stage one and is not embedded."""
        chunks = chunk_text(text, self.config.chunk_chars)
        if len(chunks) == 1:
            return chunks
        if self._lexicon is None:
            return chunks[: self.config.max_chunks_per_turn]
        signal = [(self._chunk_signal(c), i) for i, c in enumerate(chunks)]
        marked = sorted((s for s in signal if s[0] > 0), key=lambda s: (-s[0], s[1]))
        keep = sorted(i for _, i in marked[: self.config.max_chunks_per_turn])
        return [chunks[i] for i in keep] or chunks[:1]

    def _chunk_signal(self, chunk: str) -> float:
        assert self._lexicon is not None
        hit = self._lexicon.match(chunk)
        if hit.result.risk is True:
            return 2.0
        return hit.result.score if hit.adjacent or hit.result.matched else 0.0

    def _threshold(self, classifier: RiskClassifier) -> float:
        if self.config.embedding_threshold is not None:
            return self.config.embedding_threshold
        return classifier.threshold

    def _resolve_without_embedding(self, result: ScreenResult) -> ScreenResult:
        """Lexicon-only mode: an undecided *hit* follows ``weak_hit_is_risk``; an adjacent-only
        turn is clear (there is no stage left to ask)."""
        if result.risk is not None or UNCOVERED in result.matched:
            return result
        if result.category != "none" and self.config.weak_hit_is_risk:
            return result.model_copy(update={"risk": True})
        return result.model_copy(update={"risk": False, "category": "none"})

    def _models(self) -> tuple[Embedder, RiskClassifier]:
        if self._embedder is None:
            self._embedder = Embedder(self.config.batch_size, self.config.cache_size)
        if self._classifier is None:
            self._classifier = RiskClassifier.load()
        return self._embedder, self._classifier

    @property
    def embedding_error(self) -> str | None:
        """Why the embedding stage is unavailable, if it is (shown by the audit)."""
        return self._embed_error

    @staticmethod
    def _summarise(turns: list[_Turn]) -> ConversationScreen:
        counts = ScreenCounts(turns=len(turns))
        risk_turn: int | None = None
        first: ScreenResult | None = None
        acute = False
        unresolved = False
        for mi, result, skipped, for_acuity in turns:
            _count(counts, result, skipped)
            counts.embedded_for_acuity += for_acuity
            if result.risk is True:
                if first is None:
                    risk_turn, first = mi, result
                acute = acute or result.acute
            elif result.risk is None and first is None:
                unresolved = True
        if first is not None:
            summary = first.model_copy(update={"acute": acute})
        elif unresolved:
            summary = ScreenResult(risk=None, stage="none")
        else:
            summary = ScreenResult(risk=False, stage="lexicon" if turns else "none")
        return ConversationScreen(risk_turn, summary, counts)


def _riskiest_per_turn(predictions: list[Prediction], sizes: list[int]) -> list[Prediction]:
    """One prediction per turn from its chunks: the riskiest chunk's category and P(risk), and
    the highest P(acute) of any chunk (a plan and a date may sit in different sentences)."""
    out: list[Prediction] = []
    start = 0
    for size in sizes:
        group = predictions[start : start + size]
        start += size
        top = max(group, key=lambda p: p.p_risk)
        out.append(Prediction(top.p_risk, top.category, max(p.p_acute for p in group)))
    return out


def _count(counts: ScreenCounts, result: ScreenResult, skipped: bool) -> None:
    """Per-conversation tally from a turn's final result (cache hits are batch-level only)."""
    if result.stage == "embedding":
        counts.lexicon_undecided += 1
        counts.embedded += 1
        if result.risk:
            counts.embedding_risk += 1
        else:
            counts.embedding_clear += 1
    elif result.risk is True:
        counts.lexicon_risk += 1
    elif result.risk is False:
        counts.lexicon_clear += 1
    else:
        counts.lexicon_undecided += 1
        if skipped:
            counts.skipped_after_risk += 1
        else:
            counts.unresolved += 1
            counts.uncovered_language += UNCOVERED in result.matched


__all__ = ["THIRD_PERSON", "UNCOVERED", "ConversationScreen", "RiskScreen"]
