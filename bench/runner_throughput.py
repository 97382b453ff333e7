"""Does `mhsafe eval` keep the local model server as busy as a bare client would?

Runs the same requests (the first N suicide_risk items, one turn, fixed max_tokens, no cache)
twice against ONE embedded llama.cpp server:
  A. a bare asyncio loop of the `openai` AsyncOpenAI client, `--concurrency` in flight;
  B. mhsafe's own road: `run_suite` -> Inspect task -> rules judge -> SQLite store, with
     `max_connections = --concurrency`.
Prints requests/s and completion tokens/s for both and the ratio B/A (goal >= 0.95), measured
in one run. Usage:

    .venv/bin/python bench/runner_throughput.py --n 24 --max-tokens 32 --concurrency 4
    .venv/bin/python bench/runner_throughput.py --model mhsafe/instruct-local --n 8 \
        --max-tokens 16 --concurrency 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from openai import AsyncOpenAI

from mhsafe.models import (
    INSTRUCT_BASE_URL_ENV,
    InstructServer,
    LocalServer,
    LocalServerSettings,
    instruct_settings,
)
from mhsafe.schema import Case
from mhsafe.store import Store
from mhsafe.suites import load_suite, run_suite, safety_task


async def bare_client(base_url: str, cases: list[Case], max_tokens: int, concurrency: int) -> int:
    """Send every first turn through AsyncOpenAI; return completion tokens."""
    client = AsyncOpenAI(base_url=base_url, api_key="local")
    gate = asyncio.Semaphore(concurrency)
    tokens = 0

    async def one(case: Case) -> None:
        nonlocal tokens
        async with gate:
            reply = await client.chat.completions.create(
                model="local",
                messages=[{"role": "user", "content": case.turns[0]}],
                max_tokens=max_tokens,
                temperature=0.0,
            )
            tokens += reply.usage.completion_tokens if reply.usage else 0

    await asyncio.gather(*(one(c) for c in cases))
    await client.close()
    return tokens


def through_mhsafe(
    cases: list[Case], max_tokens: int, concurrency: int, work: Path, model: str = "mhsafe/local"
) -> int:
    """The same requests through `run_suite`; return completion tokens from the Inspect log."""
    from inspect_ai.log import read_eval_log

    work.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{work / 'bench.db'}")
    task = safety_task("suicide_risk", max_tokens=max_tokens, cases=cases, cache=False)
    outcome = run_suite(
        task,
        suite="suicide_risk",
        cases=cases,
        model=model,
        store=store,
        log_dir=work / "logs",
        max_connections=concurrency,
        display="none",
    )
    log = read_eval_log(outcome.log_path or "", header_only=True)
    usage = log.stats.model_usage if log.stats else {}
    return sum(u.output_tokens for u in usage.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--model", default="mhsafe/local",
                        choices=["mhsafe/local", "mhsafe/instruct-local"])
    args = parser.parse_args()
    instruct = args.model == "mhsafe/instruct-local"
    cases = [c.model_copy(update={"turns": c.turns[:1]}) for c in load_suite("suicide_risk")]
    cases = cases[: args.n]
    server = (
        InstructServer(instruct_settings(parallel=args.concurrency))
        if instruct
        else LocalServer(LocalServerSettings(parallel=args.concurrency))
    )
    with server, tempfile.TemporaryDirectory() as tmp:
        os.environ[INSTRUCT_BASE_URL_ENV if instruct else "MHSAFE_LOCAL_BASE_URL"] = (
            server.base_url
        )
        asyncio.run(bare_client(server.base_url, cases[:2], 8, 2))  # warm-up
        results: dict[str, tuple[float, int]] = {}
        for label in ("bare", "mhsafe", "bare2", "mhsafe2"):
            start = time.perf_counter()
            if label.startswith("bare"):
                tokens = asyncio.run(
                    bare_client(server.base_url, cases, args.max_tokens, args.concurrency)
                )
            else:
                tokens = through_mhsafe(
                    cases, args.max_tokens, args.concurrency, Path(tmp) / label, args.model
                )
            results[label] = (time.perf_counter() - start, tokens)
    print(f"{args.model}: {len(cases)} requests, max_tokens={args.max_tokens}, "
          f"concurrency={args.concurrency}")
    for label, (seconds, tokens) in results.items():
        print(
            f"  {label:8s} {seconds:7.2f} s  {len(cases) / seconds:6.2f} req/s  "
            f"{tokens / seconds:7.1f} completion tok/s"
        )
    bare = sum(results[k][0] for k in ("bare", "bare2"))
    ours = sum(results[k][0] for k in ("mhsafe", "mhsafe2"))
    print(f"throughput ratio mhsafe/bare (requests/s, both rounds): {bare / ours:.3f}")


if __name__ == "__main__":
    main()
