"""The audit driver: stream batches through the stages, commit each, then finalise.

The driver is the only stateful part: it appends each batch's findings, quarantine rows, review
candidates and counts to the work dir and commits a checkpoint (see ``_checkpoint``). The
stages themselves run through an :class:`Executor`: :class:`LocalExecutor` (in process, in
order) by default; a Ray Data executor can replace it because stages are pure batch functions.
Nothing here logs conversation text: only counts, ids and rule names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field, field_validator

from mhsafe.audit._boundary import GuardedStore
from mhsafe.audit._checkpoint import WorkDir, input_fingerprint
from mhsafe.audit._estimates import (
    ReviewLabel,
    Tally,
    audit_estimates,
    label_estimates,
    tally_finding,
)
from mhsafe.audit._ids import IdRegistry, unique_ids
from mhsafe.audit._ingest import Batch, FieldMap, IngestLimits, check_inputs, iter_batches
from mhsafe.audit._intervention import InterventionChecker
from mhsafe.audit._judge import (
    DEFAULT_CONFIDENCE_CUT,
    DEFAULT_JUDGE_BUDGET,
    BudgetedJudge,
    ConversationJudge,
    JudgeBudget,
    JudgePolicy,
    budget_cap,
)
from mhsafe.audit._lock import output_lock
from mhsafe.audit._sampling import BottomK, allocate, review_sample_size, sample_key, stratum_of
from mhsafe.audit._stages import (
    Assessed,
    TurnScreen,
    assess_batch,
    judge_batch,
    redact_messages,
    review_reasons,
    screen_batch,
    with_screen_basis,
)
from mhsafe.audit._writer import (
    PRIVATE_DIR,
    private_open,
    write_findings,
    write_quarantine,
    write_summary,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")


class Executor(Protocol):
    """Runs a batch function over batches, yielding results in input order."""

    def map(self, fn: Callable[[T], U], items: Iterable[T]) -> Iterator[U]:
        """Lazily apply ``fn``; order preserved (the checkpoint depends on it)."""
        ...


class LocalExecutor:
    """In this process, one batch at a time: flat memory, deterministic order."""

    def map(self, fn: Callable[[T], U], items: Iterable[T]) -> Iterator[U]:
        """Apply ``fn`` to each item as it is pulled."""
        return (fn(item) for item in items)


#: The audit screens with the shipped thresholds: they are now chosen on the validation
#: corpus's dev split at *conversation* level for the recall target (docs/screen.md), so the
#: audit no longer needs its own, less sensitive, operating point.
AUDIT_SCREEN_DEFAULTS: dict[str, Any] = {}


class AuditOptions(BaseModel):
    """Everything that shapes an audit. All but the throughput knobs are pinned in the
    checkpoint: resuming with a different window or screen would mix two audits."""

    batch_size: int = Field(default=500, ge=1)
    window: int | None = Field(default=None, ge=1)  # None: the policy file's window
    max_rate: float = Field(default=0.005, gt=0, lt=1)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    seed: int = 0
    stratify_by: str | None = None
    redact: bool = True
    judge: list[str] = Field(default_factory=list)
    # The LLM stage sees at most ceil(judge_budget * conversations) conversations, and only
    # those the offline stages could not settle: undecided ones, and embedding-only flags with
    # P(risk) below judge_confidence_cut. Both shape findings, so both are pinned.
    judge_budget: float = Field(default=DEFAULT_JUDGE_BUDGET, ge=0, le=1)
    judge_confidence_cut: float = Field(default=DEFAULT_CONFIDENCE_CUT, gt=0, le=1)
    # ScreenConfig fields over the audit's defaults: merged, never replacing them, so the
    # Python API and the CLI run the same screen for the same overrides.
    screen: dict[str, Any] = Field(default_factory=lambda: dict(AUDIT_SCREEN_DEFAULTS))
    max_message_bytes: int = 1_000_000
    max_record_bytes: int = 32_000_000
    # --fields / --roles: other logs' column names and role words (pinned: they decide what
    # is read as whose turn).
    fields: dict[str, str] = Field(default_factory=dict)
    roles: dict[str, str] = Field(default_factory=dict)
    judge_concurrency: int = Field(default=8, ge=1)
    name: str = "audit"
    # Whose logs these are (the model name the report uses for that system); the report shows
    # an audit's figures only under its own system.
    system: str | None = None

    @field_validator("screen", mode="before")
    @classmethod
    def _merge_screen_defaults(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {**AUDIT_SCREEN_DEFAULTS, **value}
        return value

    def pinned(self) -> dict[str, Any]:
        """The options a resume must match."""
        return self.model_dump(exclude={"batch_size", "judge_concurrency", "name", "system"})


class ReviewStore(Protocol):
    """The slice of ``mhsafe.store.Store`` the audit uses."""

    def create_run(self, kind: Any, name: str, *, model: str | None = None,
                   judge: str | None = None, config: dict[str, Any] | None = None) -> str: ...

    def add_review_items(self, run_id: str, items: list[Any]) -> int: ...

    def review_items(self, run_id: str | None = None,
                     status: str | None = None) -> list[Any]: ...

    def finish_run(self, run_id: str, status: Any = "finished",
                   summary: dict[str, Any] | None = None) -> Any: ...


class AuditResult(BaseModel):
    """What a finished audit returns (the same summary is in ``OUT/summary.json``)."""

    out: Path
    run_id: str | None
    summary: dict[str, Any]


def _default_screen(config: dict[str, Any]) -> TurnScreen:
    from mhsafe.judges.screen import RiskScreen, ScreenConfig

    # The screen's text-hash cache is bounded but large by default; an audit streams mostly
    # unique turns, so a smaller cache keeps peak memory flat in n at no real cost.
    screen: TurnScreen = RiskScreen(ScreenConfig(**{"cache_size": 20_000, **config}))
    return screen


def judges_data_fingerprint() -> str:
    """A hash of the offline judges' data (lexicon, classifier weights, patterns, registry).

    Pinned in the checkpoint with the default screen: resuming after any of them changed would
    stitch findings from two different screens into one audit.
    """
    from importlib import resources

    digest = hashlib.blake2b(digest_size=16)
    for package in ("mhsafe.judges", "mhsafe.judges.screen"):
        folder = resources.files(package) / "data"
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode())
                digest.update(entry.read_bytes())
    return digest.hexdigest()


def _evidence(a: Assessed) -> dict[str, Any]:
    """Why the screen flagged it, for the reviewer's panel: stage, rule ids, score (no text)."""
    basis = a.basis
    return {"stage": a.flagged_stage,
            "rule_ids": list(basis.rule_ids) if basis is not None else [],
            "score": basis.risk_score if basis is not None else None}


def _review_item(a_id: str, reason: str, stratum: str, finding: dict[str, Any],
                 messages: list[dict[str, str]],
                 evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """A store ``ReviewItemIn`` as a plain dict (built into the model only at the store)."""
    return {
        "evidence": evidence,
        "conversation_id": a_id,
        "reason": reason,
        "stratum": stratum,
        "category": finding.get("risk_category"),
        "messages": messages,
        "finding": finding,
        "risk_turn": finding.get("risk_turn"),
        "response_turn": finding.get("intervention_turn"),
    }


class _BatchFn:
    """The composed stages for one batch (picklable state only: screen, checker, judge)."""

    def __init__(self, screen: TurnScreen, checker: InterventionChecker,
                 judge: ConversationJudge | None, options: AuditOptions) -> None:
        self.screen, self.checker, self.judge, self.options = screen, checker, judge, options

    def __call__(
        self, batch: Batch
    ) -> tuple[Batch, list[Assessed], dict[str, int], dict[str, float]]:
        clock = time.perf_counter
        t0 = clock()
        screened, counts = screen_batch(self.screen, batch.conversations)
        t1 = clock()
        assessed = assess_batch(self.checker, screened, redact_review=self.options.redact)
        assessed = with_screen_basis(screened, assessed)
        t2 = clock()
        if self.judge is not None:
            assessed = judge_batch(self.judge, assessed, redact_outgoing=self.options.redact,
                                   concurrency=self.options.judge_concurrency)
        seconds = {"screen_s": t1 - t0, "intervention_s": t2 - t1, "judge_s": clock() - t2}
        return batch, assessed, counts, seconds


def run_audit(
    paths: Sequence[Path],
    out: Path,
    options: AuditOptions | None = None,
    *,
    resume: bool = False,
    screen: TurnScreen | None = None,
    checker: InterventionChecker | None = None,
    judge: ConversationJudge | None = None,
    store: ReviewStore | None = None,
    labels: Path | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """Audit ``paths`` into ``out``. See docs/audit.md for the output contract.

    ``screen``/``checker``/``judge``/``store`` default to the offline RiskScreen, the rule
    intervention checker, no panel and no store; tests and the CLI inject their own.

    Before anything is written the inputs are checked (``InputError``) and ``out`` is locked
    (``OutputLockedError`` while another audit holds it). Store errors come out as
    ``AuditStoreError`` without statement parameters; a store queue that does not match
    ``review_queue.jsonl`` is an ``AuditCountError``; either way the run is marked failed.
    """
    options = options or AuditOptions()
    check_inputs(paths)
    FieldMap.from_options(options.fields, options.roles)  # a bad mapping fails here, first
    out.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    guard = GuardedStore(store) if store is not None else None
    with output_lock(out):
        try:
            return _run_audit(paths, out, options, resume=resume, screen=screen,
                              checker=checker, judge=judge, store=guard, labels=labels,
                              executor=executor, progress=progress)
        except BaseException:
            if guard is not None:
                guard.mark_failed(run_id=_committed_run_id(out))
            raise


def _committed_run_id(out: Path) -> str | None:
    """The store run a (possibly resumed) audit in ``out`` writes to, if it got that far."""
    try:
        committed = WorkDir(out).load()
    except (OSError, ValueError):
        return None
    return committed.run_id if committed else None


def _run_audit(
    paths: Sequence[Path],
    out: Path,
    options: AuditOptions,
    *,
    resume: bool = False,
    screen: TurnScreen | None = None,
    checker: InterventionChecker | None = None,
    judge: ConversationJudge | None = None,
    store: ReviewStore | None = None,
    labels: Path | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """The audit itself, inside ``run_audit``'s checks and lock."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    work = WorkDir(out)
    pinned = options.pinned()
    if screen is None or checker is None:
        pinned["judges_data"] = judges_data_fingerprint()
    checkpoint = work.start(input_fingerprint(paths, pinned), resume=resume)
    tally = checkpoint.tally
    sample_n = review_sample_size(options.max_rate, options.confidence)
    sampler = BottomK(sample_n)
    for row in work.iter_part("candidates"):
        sampler.offer(row["stratum"], row["key"], row["conversation_id"])
    if store is not None and checkpoint.run_id is None:
        checkpoint.run_id = store.create_run(
            "audit", options.name[:200], judge=",".join(options.judge) or None,
            config=options.model_dump())
        work.commit(checkpoint)
    screen = screen or _default_screen(options.screen)
    checker = checker or InterventionChecker(options.window)
    llm_stage = _budgeted(judge, options, tally) if judge is not None else None
    executor = executor or LocalExecutor()
    limits = IngestLimits(options.max_message_bytes, options.max_record_bytes)
    ids = IdRegistry(work.root / "ids.sqlite", max_chars=limits.max_id_chars)
    ids.forget_from(checkpoint.next_batch)  # those batches are read (and claim ids) again
    batches = unique_ids(iter_batches(
        paths, options.batch_size, start=checkpoint.cursor, first_index=checkpoint.next_batch,
        limits=limits, work_dir=work.root / "sorted",
        fields=FieldMap.from_options(options.fields, options.roles)), ids)
    done_now = 0
    stage_s: dict[str, float] = {"screen_s": 0.0, "intervention_s": 0.0, "judge_s": 0.0,
                                 "commit_s": 0.0}
    try:
        for batch, assessed, counts, seconds in executor.map(
            _BatchFn(screen, checker, llm_stage, options), batches
        ):
            t_commit = time.perf_counter()
            _commit_batch(work, checkpoint, tally, sampler, options, batch, assessed, counts)
            stage_s["commit_s"] += time.perf_counter() - t_commit
            for name, value in seconds.items():
                stage_s[name] += value
            done_now += len(assessed)
            if progress is not None:
                progress(tally.audited, sum(tally.quarantined.values()))
    finally:
        work.close()
        duplicates = ids.renamed()
        ids.close()
    t_final = time.perf_counter()
    summary = _finalise(paths, work, out, checkpoint.run_id, tally, sampler, sample_n, options,
                        store, labels)
    summary["duplicate_ids_renamed"] = duplicates
    summary["llm_stage"] = (llm_stage_summary(tally, options)
                            if judge is not None or options.judge else None)
    elapsed = time.perf_counter() - started
    stage_s["finalise_s"] = time.perf_counter() - t_final
    summary["timing"] = {
        "elapsed_s": round(elapsed, 3),
        "conversations_this_invocation": done_now,
        "conversations_per_s": round(done_now / elapsed, 1) if elapsed > 0 else None,
        "stages_s": {k: round(v, 3) for k, v in stage_s.items()},
    }
    write_summary(summary, out)
    checkpoint.finished = True
    work.commit(checkpoint)
    if store is not None and checkpoint.run_id is not None:
        store.finish_run(checkpoint.run_id, summary=summary)
    log.info("audit finished: %d audited, %d quarantined", tally.audited,
             sum(tally.quarantined.values()))
    return AuditResult(out=out, run_id=checkpoint.run_id, summary=summary)


def _budgeted(judge: ConversationJudge, options: AuditOptions, tally: Tally) -> BudgetedJudge:
    """The judge with the audit's policy. The budget starts from the committed tally
    (conversations audited, panel calls made), so a resumed run has the allowance the
    interrupted one had at that batch and sends the same conversations."""
    budget = JudgeBudget(options.judge_budget, seen=tally.audited,
                         sent=tally.judge.get("sent", 0))
    return BudgetedJudge(judge, JudgePolicy(options.judge_confidence_cut, budget))


def llm_stage_summary(tally: Tally, options: AuditOptions) -> dict[str, Any]:
    """The LLM stage's share of the audit, for ``summary.json`` and the CLI: how many it saw of
    how many, under which budget, and what the budget left undecided."""
    counts, n = tally.judge, tally.audited
    sent = counts.get("sent", 0)
    return {
        "sent": sent,
        "conversations": n,
        "share": round(sent / n, 6) if n else None,
        "budget_fraction": options.judge_budget,
        "budget_max": budget_cap(options.judge_budget, n),
        "confidence_cut": options.judge_confidence_cut,
        "wanted": {reason: counts.get(f"wanted_{reason}", 0)
                   for reason in ("undecided", "low_confidence")},
        "left_undecided_by_budget": counts.get("over_budget_undecided", 0),
        "low_confidence_over_budget": counts.get("over_budget_low_confidence", 0),
        "unjudged_by_panel": counts.get("unjudged", 0),
    }


def _tally_llm(tally: Tally, a: Assessed) -> None:
    """Count what the LLM stage wanted and what its budget kept from it."""
    if a.llm_reason is None:
        return
    tally.bump("judge", f"wanted_{a.llm_reason}")
    if not a.llm_sent:
        tally.bump("judge", f"over_budget_{a.llm_reason}")


def _commit_batch(work: WorkDir, checkpoint: Any, tally: Tally, sampler: BottomK,
                  options: AuditOptions, batch: Batch, assessed: list[Assessed],
                  counts: dict[str, int]) -> None:
    work.append("findings", (a.finding.model_dump() for a in assessed))
    work.append("quarantine", (q.to_json() for q in batch.quarantined))
    flagged: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    for a in assessed:
        tally_finding(tally, a.finding, flagged_stage=a.flagged_stage)
        _tally_llm(tally, a)
        if a.finding.status == "no_risk" and any(m.role == "assistant"
                                                 for m in a.transcript.messages):
            tally.no_risk_with_reply += 1
            tally.over_trigger_no_risk += a.finding.over_trigger
        stratum = stratum_of(len(a.transcript.messages), a.transcript.metadata,
                             options.stratify_by)
        finding = a.finding.model_dump()
        if a.review:
            tally.review_flagged += 1
            for reason in review_reasons(a.finding):
                tally.bump("review_reasons", reason)
            tally.bump("flagged_by_stratum", stratum)
            messages = [m.model_dump() for m in a.review_messages or []]
            flagged.append(_review_item(a.finding.conversation_id, "flagged", stratum, finding,
                                        messages, _evidence(a)))
            continue
        tally.bump("unflagged_by_stratum", stratum)
        key = sample_key(options.seed, a.finding.conversation_id)
        if sampler.offer(stratum, key, a.finding.conversation_id):
            msgs = (redact_messages(a.transcript.messages, a.keep_numbers) if options.redact
                    else a.transcript.messages)
            row = _review_item(a.finding.conversation_id, "sample", stratum, finding,
                               [m.model_dump() for m in msgs], _evidence(a))
            candidates.append({"key": key, "stratum": stratum,
                               "conversation_id": a.finding.conversation_id, "item": row})
    for q in batch.quarantined:
        tally.bump("quarantined", q.reason)
    for name, value in counts.items():
        tally.bump("turns_by_stage", name, value)
    work.append("flagged", flagged)
    work.append("candidates", candidates)
    checkpoint.next_batch = batch.index + 1
    checkpoint.file_index, checkpoint.offset, checkpoint.line = (
        batch.end.file_index, batch.end.offset, batch.end.line)
    checkpoint.tally = tally
    work.commit(checkpoint)


def _review_items(work: WorkDir, sampler: BottomK, allocation: dict[str, int]) -> Iterator[
    dict[str, Any]
]:
    yield from work.iter_part("flagged")
    chosen = sampler.chosen(allocation)
    for row in work.iter_part("candidates"):
        if (row["stratum"], row["conversation_id"]) in chosen:
            chosen.discard((row["stratum"], row["conversation_id"]))
            yield row["item"]


def _to_store(store: ReviewStore, run_id: str, rows: list[dict[str, Any]]) -> int:
    from mhsafe.store import ReviewItemIn

    return store.add_review_items(run_id, [ReviewItemIn.model_validate(r) for r in rows])


def _read_labels(path: Path) -> dict[str, dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                row = json.loads(raw)
                labels[str(row["conversation_id"])] = row
    return labels


def _finalise(paths: Sequence[Path], work: WorkDir, out: Path, run_id: str | None,
              tally: Tally, sampler: BottomK, sample_n: int, options: AuditOptions,
              store: ReviewStore | None,
              labels_path: Path | None) -> dict[str, Any]:
    allocation = allocate(sample_n, tally.unflagged_by_stratum)
    labels = _read_labels(labels_path) if labels_path else {}
    joined: list[ReviewLabel] = []
    queued = {"flagged": 0, "sample": 0}
    chunk: list[dict[str, Any]] = []
    stored = 0
    tmp = out / "review_queue.jsonl.tmp"
    with private_open(tmp, "w", encoding="utf-8") as queue:
        for item in _review_items(work, sampler, allocation):
            queued[item["reason"]] += 1
            queue.write(json.dumps(item, ensure_ascii=False) + "\n")
            label = labels.get(item["conversation_id"])
            if label is not None:
                joined.append(ReviewLabel(
                    conversation_id=item["conversation_id"], reason=item["reason"],
                    screen_positive=bool(item["finding"]["risk_detected"]),
                    risk_present=bool(label["risk_present"]),
                    crisis_support_given=label.get("crisis_support_given")))
            if store is not None and run_id is not None:
                chunk.append(item)
                if len(chunk) >= 500:
                    stored += _to_store(store, run_id, chunk)
                    chunk = []
    tmp.replace(out / "review_queue.jsonl")
    if store is not None and run_id is not None and chunk:
        stored += _to_store(store, run_id, chunk)
    write_findings(work.iter_part("findings"), work.part("findings"), out)
    write_quarantine(work.part("quarantine"), out)
    summary: dict[str, Any] = {
        "run_id": run_id,
        "inputs": [str(p) for p in paths],
        "options": options.model_dump(),
        **audit_estimates(tally, sample_n=sample_n, max_rate=options.max_rate,
                          confidence=options.confidence),
    }
    summary["review"]["allocation"] = allocation
    summary["review"]["queued"] = queued
    summary["review"]["stored_new"] = stored
    summary["labels"] = label_estimates(
        joined,
        n_audited=tally.audited,
        n_screen_positive=tally.risk_detected,
        n_unflagged=sum(tally.unflagged_by_stratum.values()),
        confidence=options.confidence,
        seed=options.seed,
    ) if joined else None
    return summary
