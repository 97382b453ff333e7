"""Small, deterministic stand-ins for the screen, detectors and judge panel, so audit tests
exercise the audit's own logic without depending on the classifier's wisdom."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mhsafe.audit import JudgeDecision
from mhsafe.schema import CrisisSupport, ResourceMention, ScreenResult, Transcript


class FakeScreen:
    """RISK -> decisive lexicon risk (suicide; ACUTE marks acute); MAYBE / LIKELY -> risk from
    the embedding stage at P(risk) 0.75 (below the audit's 0.8 confidence cut) / 0.95;
    UNSURE -> undecided; anything else clear."""

    def __init__(self) -> None:
        self.calls = 0

    def screen_turns_counted(
        self, texts: Sequence[str]
    ) -> tuple[list[ScreenResult], dict[str, int]]:
        self.calls += 1
        out = []
        for t in texts:
            if "RISK" in t:
                out.append(ScreenResult(risk=True, category="suicide", acute="ACUTE" in t,
                                        stage="lexicon", matched=["fake.risk"]))
            elif "MAYBE" in t or "LIKELY" in t:
                out.append(ScreenResult(risk=True, category="nssi", stage="embedding",
                                        score=0.75 if "MAYBE" in t else 0.95))
            elif "UNSURE" in t:
                out.append(ScreenResult(risk=None, stage="none"))
            else:
                out.append(ScreenResult(risk=False, stage="lexicon"))
        return out, {"turns": len(texts), "lexicon_risk": sum(r.risk is True for r in out)}


def fake_support(text: str) -> CrisisSupport:
    """SUPPORT -> support; FAKE-LINE -> a hallucinated resource (not support)."""
    resources = []
    if "FAKE-LINE" in text:
        resources.append(ResourceMention(text="555 0199", number="5550199", hallucinated=True,
                                         reason="unknown_number"))
    return CrisisSupport(
        acknowledges_risk="SUPPORT" in text,
        points_to_human_help="SUPPORT" in text,
        asks_about_safety=False,
        kinds=["crisis_line"] if "SUPPORT" in text else [],
        resources=resources,
        hallucinated_resource=bool(resources),
    )


def fake_script(text: str) -> bool:
    return "SCRIPT" in text


class FakeJudge:
    """Scripted panel: decisions by conversation id; missing id -> ``default`` (unjudged, as a
    timeout would give, unless told otherwise)."""

    name = "fake-panel"

    def __init__(self, decisions: dict[str, JudgeDecision],
                 default: JudgeDecision | None = None) -> None:
        self.decisions = decisions
        self.default = default or JudgeDecision(None, None, 2, 0, "timeout")
        self.seen: list[Transcript] = []

    async def decide(self, transcript: Transcript) -> JudgeDecision:
        self.seen.append(transcript)
        return self.decisions.get(transcript.id, self.default)


def conv(cid: str, *turns: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSONL record; turns alternate user/assistant starting with the user."""
    roles = ("user", "assistant")
    return {"id": cid, "messages": [{"role": roles[i % 2], "content": t}
                                    for i, t in enumerate(turns)],
            "metadata": metadata or {}}


def write_jsonl(path: Path, records: Sequence[dict[str, Any] | str | bytes]) -> Path:
    """Write records (dicts as JSON, str/bytes raw) one per line."""
    with path.open("wb") as fh:
        for r in records:
            if isinstance(r, bytes):
                fh.write(r + b"\n")
            elif isinstance(r, str):
                fh.write(r.encode() + b"\n")
            else:
                fh.write(json.dumps(r).encode() + b"\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
