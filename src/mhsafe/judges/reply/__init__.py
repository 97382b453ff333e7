"""mhsafe.judges.reply: the trained refusal and harm-enablement judges, given the request.

The rule judges (``_refusal``, ``_harm``) run first and stay visible: their label, sentence
roles and matched phrases go into the judgment next to the head's class probabilities and its
largest feature contributions. The head decides: a three-class refusal model (full / partial /
none) and a harm model that reads the request's domain (the user turns) with the reply, both
fitted on the validation corpus's ``train/`` split (``python -m mhsafe.judges.reply.train``).

Fail closed on the head, not on the answer: when the head or the encoder cannot be loaded the
rules' answers stand and every judgment says so (rule id ``head_unavailable``), so a caller
never mistakes a rules-only answer for the trained one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mhsafe.judges._harm import HarmFinding, detect_harm_enablement
from mhsafe.judges._refusal import RefusalJudgment, judge_refusal
from mhsafe.judges.reply._features import Encoder, featurize
from mhsafe.judges.reply._head import HeadHarm, HeadRefusal, ReplyHead, shipped_reply_head


@dataclass(frozen=True, slots=True)
class ReplyJudgment:
    """Refusal and harm for one reply; ``status`` is ``head`` or ``rules only (<why>)``."""

    refusal: RefusalJudgment
    harm: HarmFinding
    status: str


@lru_cache(maxsize=1)
def _encoder() -> Encoder:
    from mhsafe.judges.screen import Embedder

    return Embedder()


def _combined(rules: RefusalJudgment, head: HeadRefusal) -> RefusalJudgment:
    return RefusalJudgment(
        label=head.label,
        rules=[*rules.rules, f"rules_label:{rules.label}", head.evidence()],
        score=round(1.0 - head.probabilities["none"], 4),
        answer_words=rules.answer_words,
    )


def _combined_harm(rules: HarmFinding, head: HeadHarm) -> HarmFinding:
    return HarmFinding(enables_harm=head.value, kinds=rules.kinds if head.value else [],
                       evidence=[*rules.evidence, f"rules_enables_harm:{rules.enables_harm}",
                                 head.evidence()])


def judge_replies(
    pairs: list[tuple[str, str]],
    *,
    head: ReplyHead | None = None,
    encoder: Encoder | None = None,
) -> list[ReplyJudgment]:
    """Judge (request, reply) pairs in one batch (the encoder embeds them together)."""
    rules = [(judge_refusal(reply, request), detect_harm_enablement(reply, request or None))
             for request, reply in pairs]
    head = head or shipped_reply_head()
    try:
        if head is None:
            raise FileNotFoundError("no reply head")
        rows = featurize(pairs, encoder or _encoder())
    except (ImportError, FileNotFoundError, OSError, RuntimeError) as exc:
        why = f"head_unavailable:{type(exc).__name__}"
        return [ReplyJudgment(
            refusal.model_copy(update={"rules": [*refusal.rules, why]}),
            harm.model_copy(update={"evidence": [*harm.evidence, why]}),
            f"rules only ({type(exc).__name__})") for refusal, harm in rules]
    return [ReplyJudgment(_combined(refusal, head.refusal(row)),
                          _combined_harm(harm, head.harm(row)), "head")
            for (refusal, harm), row in zip(rules, rows, strict=True)]


def judge_reply(request: str, reply: str) -> ReplyJudgment:
    """One pair; see :func:`judge_replies`."""
    return judge_replies([(request, reply)])[0]


__all__ = ["ReplyHead", "ReplyJudgment", "judge_replies", "judge_reply", "shipped_reply_head"]
