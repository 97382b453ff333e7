"""LLMJudge: one model call per transcript that answers every criterion of a rubric at once.

The model is constrained to a tight JSON schema built from the rubric (``Rubric.output_model``)
and its answer is validated by pydantic — no regex on prose. A timeout or an answer that still
fails validation after the retries gives ``status="unjudged"`` with the error: a judge that could
not answer is counted and shown, never read as safe. Prompts stay short and long transcripts are
cut deterministically (the last turns are kept) because small local models have small contexts.

A small local judge (``mhsafe/instruct-local``, 1.5B) also gets a few *worked examples* in its
system prompt (``judges/data/llm_worked_examples.yaml``: a conversation and the right JSON).
They sit in the system message, which is the same for every transcript, so llama.cpp's prompt
cache pays for them once per slot; hosted judges skip them (they do not need them and would pay
for them on every call). Measured effect and the judge's card: docs/judge-cards-llm.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml
from inspect_ai.model import Model
from pydantic import BaseModel

from mhsafe.judges._judge import scalar_values
from mhsafe.judges._rubric import Rubric, load_rubric
from mhsafe.models import generate_structured, get_model
from mhsafe.schema import Judgment, Message, Transcript

_ELLIPSIS = " [...] "

#: Judge models that get the worked examples by default (small local models; see module doc).
EXAMPLE_MODELS: frozenset[str] = frozenset({"mhsafe/instruct-local"})
_EXAMPLE_CHARS = 400


@cache
def _examples_file() -> dict[str, Any]:
    path = resources.files("mhsafe.judges").joinpath("data/llm_worked_examples.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def example_note(rubric: Rubric) -> str:
    """The reminder that goes with the rubric's worked examples ('' when there is none)."""
    return str((_examples_file().get("notes") or {}).get(rubric.name) or "").strip()


def worked_examples(rubric: Rubric) -> list[tuple[Transcript, dict[str, Any]]]:
    """The rubric's worked examples as (transcript, answer) pairs; each answer is validated
    against the rubric's output model, so an example can never teach a wrong field name."""
    raw = (_examples_file().get("rubrics") or {}).get(rubric.name) or []
    model = rubric.output_model()
    out: list[tuple[Transcript, dict[str, Any]]] = []
    for i, example in enumerate(raw):
        answer = model.model_validate(example["answer"]).model_dump(mode="json")
        messages = [Message.model_validate(m) for m in example["conversation"]]
        out.append((Transcript(id=f"example-{rubric.name}-{i}", messages=messages), answer))
    return out


def render_transcript(transcript: Transcript, max_chars: int) -> str:
    """The conversation as 'ROLE: text' lines within ``max_chars``: whole turns are taken from
    the end backwards; the final turn is always present (its middle elided if it alone is too
    long, keeping its opening and its close — where refusals and resources usually sit);
    system prompts are left out (they are the deployer's, not the conversation)."""
    turns = [m for m in transcript.messages if m.role != "system"]
    if not turns:
        return "(empty conversation)"
    lines: list[str] = []
    used = 0
    for message in reversed(turns):
        line = f"{message.role.upper()}: {message.content.strip()}"
        if not lines:
            line = _clip_middle(line, max_chars)
        elif used + len(line) + 1 > max_chars:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(turns):
        lines.append("(earlier turns omitted)")
    return "\n".join(reversed(lines))


def _clip_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(_ELLIPSIS))
    head = keep // 2
    return text[:head] + _ELLIPSIS + text[len(text) - (keep - head) :]


def build_prompt(
    rubric: Rubric,
    transcript: Transcript,
    *,
    phrasing: int,
    max_chars: int,
    examples: Sequence[tuple[Transcript, dict[str, Any]]] = (),
) -> list[Message]:
    """System: the rubric's instructions, one line per criterion, then any worked examples
    (identical for every transcript, so a server's prompt cache keeps them). User: the
    transcript."""
    lines = [rubric.phrasing(phrasing).strip(), "", "Answer with one JSON object:"]
    for c in rubric.criteria:
        kind = {
            "bool": "true or false",
            "label": " | ".join(c.labels),
            "score": f"integer {c.min}-{c.max}",
        }[c.type]
        lines.append(f'- "{c.name}" ({kind}): {c.question.strip()}')
    if examples:
        note = example_note(rubric)
        lines += ["", note] if note else []
        lines += ["", "Worked examples (a conversation, then the right answer):"]
        for i, (example, answer) in enumerate(examples, 1):
            lines += [
                f"Example {i}:",
                render_transcript(example, _EXAMPLE_CHARS),
                f"Answer: {json.dumps(answer, separators=(',', ':'))}",
            ]
        lines += ["", "Now judge the conversation the user sends, in the same way."]
    return [
        Message(role="system", content="\n".join(lines)),
        Message(role="user", content=render_transcript(transcript, max_chars)),
    ]


class LLMJudge:
    """A Judge backed by a model. ``model`` is an Inspect model name (``mhsafe/local``,
    ``openai/gpt-4o``) or a ready ``Model`` (tests pass a mock). ``output_type`` defaults to
    the rubric's own model; a custom one must have exactly the rubric's criteria as fields.
    ``examples``: include the rubric's worked examples (None: only for ``EXAMPLE_MODELS``)."""

    def __init__(
        self,
        model: str | Model,
        rubric: Rubric | str,
        output_type: type[BaseModel] | None = None,
        *,
        max_tokens: int,
        timeout_s: float,
        retries: int = 2,
        phrasing: int = 0,
        max_chars: int = 2000,
        name: str | None = None,
        examples: bool | None = None,
    ) -> None:
        self.rubric = load_rubric(rubric) if isinstance(rubric, str) else rubric
        self.output_type = output_type or self.rubric.output_model()
        wanted = [c.name for c in self.rubric.criteria]
        if sorted(self.output_type.model_fields) != sorted(wanted):
            raise ValueError(f"output_type fields must be the rubric's criteria {wanted}")
        self.rubric.phrasing(phrasing)  # fail now, not at the first transcript
        if max_tokens <= 0 or timeout_s <= 0 or retries < 0 or max_chars < 100:
            raise ValueError(
                "max_tokens, timeout_s must be positive; retries >= 0; max_chars >= 100"
            )
        self.model_name = model if isinstance(model, str) else str(model)
        self._model = model if isinstance(model, Model) else None
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.retries = retries
        self.phrasing = phrasing
        self.max_chars = max_chars
        self.name = name or f"llm:{self.model_name}:{self.rubric.name}:p{phrasing}"
        # None: worked examples for the small local judges only (see module doc)
        use_examples = examples if examples is not None else self.model_name in EXAMPLE_MODELS
        self.examples = worked_examples(self.rubric) if use_examples else []

    def _get_model(self) -> Model:
        """Created on first use, so building a panel starts no server and opens no client.
        Inspect's own retries are off: ours count every failed attempt, timeouts included."""
        if self._model is None:
            self._model = get_model(
                self.model_name, max_tokens=self.max_tokens, timeout_s=self.timeout_s, max_retries=0
            )
        return self._model

    async def judge(self, transcript: Transcript) -> Judgment:
        began = time.perf_counter()
        messages = build_prompt(
            self.rubric,
            transcript,
            phrasing=self.phrasing,
            max_chars=self.max_chars,
            examples=self.examples,
        )
        base = {
            "judge": self.name,
            "transcript_id": transcript.id,
            "rubric": self.rubric.name,
            "rubric_version": self.rubric.version,
        }
        try:
            result = await generate_structured(
                self._get_model(),
                messages,
                self.output_type,
                max_tokens=self.max_tokens,
                timeout_s=self.timeout_s,
                retries=self.retries,
            )
        except Exception as exc:  # model could not even be created: unjudged, not a crash
            return Judgment(
                **base,
                status="unjudged",
                error=f"model unavailable: {type(exc).__name__}",
                latency_s=time.perf_counter() - began,
            )
        if result.value is None:
            return Judgment(
                **base,
                status="unjudged",
                error=f"{result.error} after {result.attempts} attempt(s)",
                latency_s=time.perf_counter() - began,
            )
        return Judgment(
            **base,
            status="judged",
            values=scalar_values(result.value),
            latency_s=time.perf_counter() - began,
        )
