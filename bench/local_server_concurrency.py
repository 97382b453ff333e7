"""How many concurrent requests does the embedded llama.cpp server serve well?

Starts `mhsafe.models.LocalServer` once per `--parallel` value and drives it with the bare
`openai.AsyncOpenAI` client at 1, 2, 4, 8 concurrent requests (`--prompts` short prompts,
`--max-tokens` each), printing tokens/s and requests/s. The point: the lead's runner
benchmark should know which slot count saturates the machine's cores (beyond it, more
concurrency only adds queueing latency).

    .venv/bin/python bench/local_server_concurrency.py --parallel 1,2,4,8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from openai import AsyncOpenAI

from mhsafe.models import LocalServer, LocalServerSettings

PROMPTS = [
    "Write one sentence about the sea.",
    "List three colours.",
    "What is a good breakfast?",
    "Describe a quiet evening.",
    "Give me a tip for sleeping better.",
    "Name a city in Europe.",
    "What does a gardener do?",
    "Say something kind to a friend.",
    "How do bicycles work?",
    "Tell me about autumn.",
]


async def _drive(
    base_url: str, concurrency: int, prompts: int, max_tokens: int
) -> dict[str, float]:
    client = AsyncOpenAI(base_url=base_url, api_key="unused", timeout=300, max_retries=0)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    tokens = 0

    async def one(i: int) -> None:
        nonlocal tokens
        async with gate:
            began = time.perf_counter()
            reply = await client.chat.completions.create(
                model="local",
                messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                max_tokens=max_tokens,
                temperature=0.8,
                seed=i,
            )
            latencies.append(time.perf_counter() - began)
            tokens += reply.usage.completion_tokens if reply.usage else 0

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(prompts)))
    wall = time.perf_counter() - began
    await client.close()
    latencies.sort()
    return {
        "wall_s": wall,
        "tok_s": tokens / wall,
        "req_s": prompts / wall,
        "p50_s": latencies[len(latencies) // 2],
        "tokens": float(tokens),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", default="4", help="comma list of server slot counts")
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument("--poll", type=int, default=50, help="llama.cpp busy-wait level 0-100")
    parser.add_argument("--ctx", type=int, default=1024, help="context tokens per slot")
    args = parser.parse_args()
    print(f"cores={os.cpu_count()} prompts={args.prompts} max_tokens={args.max_tokens}")
    print(f"{'parallel':>8} {'conc':>5} {'tok/s':>7} {'req/s':>6} {'p50 s':>6} {'wall s':>7}")
    for parallel in (int(x) for x in args.parallel.split(",")):
        settings = LocalServerSettings(
            parallel=parallel, ctx_per_slot=args.ctx, threads=args.threads, poll=args.poll
        )
        with LocalServer(settings) as server:
            print(f"# parallel={parallel} started in {server.start_seconds:.2f}s")
            asyncio.run(_drive(server.base_url, 1, 2, 8))  # warm-up, not reported
            for concurrency in (int(x) for x in args.concurrency.split(",")):
                row = asyncio.run(
                    _drive(server.base_url, concurrency, args.prompts, args.max_tokens)
                )
                print(
                    f"{parallel:>8} {concurrency:>5} {row['tok_s']:>7.1f} {row['req_s']:>6.2f} "
                    f"{row['p50_s']:>6.2f} {row['wall_s']:>7.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
