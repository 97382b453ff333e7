"""Added latency of the safeguard proxy per turn, with the offline layers.

Servers on 127.0.0.1 in this process, both in front of the same instant fake upstream:
a pass-through proxy (every layer off: the transport alone) and the safeguarded proxy with
every offline layer, client authentication and redacted logging -- once with the
lexicon-only screen, once with the full screen (lexicon, then the embedding classifier on
turns the lexicon cannot settle).
The same turns go through each with the `openai` client; the difference of the medians is
what the layers add.
Turns are the first user turns of over_refusal, harmful_content and pe_exposure items (a mix of
benign, risky and exercise language); a different set is sent first as warm-up so model
loading is not counted and no measured turn is in the embedding cache.

    .venv/bin/python bench/proxy_latency.py [--turns 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.safeguard.server import serving

from mhsafe.safeguard import CallableUpstream, SafeguardConfig, create_proxy_app
from mhsafe.schema import Message
from mhsafe.suites import load_suite

KEY = "bench-client-key"  # every proxy checks it: client authentication is on the measured path


async def instant(messages: Sequence[Message], max_tokens: int) -> str:
    return "Thanks for asking. Here is a short, plain answer."


def turns(n: int) -> list[tuple[str | None, str]]:
    pools = [load_suite(s) for s in ("over_refusal", "harmful_content", "pe_exposure")]
    mixed = [c for group in zip(*pools, strict=False) for c in group]
    return [(c.system_prompt, c.turns[0]) for c in mixed[:n]]


def timings(base_url: str, items: list[tuple[str | None, str]]) -> list[float]:
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    out: list[float] = []
    for index, (system, text) in enumerate(items):
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": text}]
        began = time.perf_counter()
        client.chat.completions.create(model="proxy", messages=messages,  # type: ignore[arg-type]
                                       max_tokens=32, user=f"bench-{index}")
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()
    pool = turns(args.turns * 2)
    warm, items = pool[: args.turns], pool[args.turns :]
    upstream = CallableUpstream(instant, name="instant")
    with tempfile.TemporaryDirectory() as tmp:
        log = {"path": f"{tmp}/proxy.jsonl"}
        lexicon_only = {"input_screen": {"screen": {"embedding": False}}, "log": log}
        apps = {
            "passthrough": create_proxy_app(upstream, SafeguardConfig.passthrough(),
                                            api_keys=[KEY]),
            "lexicon": create_proxy_app(upstream, SafeguardConfig.model_validate(lexicon_only),
                                        api_keys=[KEY]),
            "full": create_proxy_app(upstream, SafeguardConfig.model_validate({"log": log}),
                                     api_keys=[KEY]),
        }
        results: dict[str, list[float]] = {}
        for name, app in apps.items():
            with serving(app) as base_url:
                # Warm-up on OTHER turns: loads the embedding model without filling its cache
                # with the measured turns (a cached turn would flatter the screen).
                timings(base_url, warm)
                results[name] = timings(base_url, items)
    med = {k: statistics.median(v) for k, v in results.items()}
    p95 = {k: statistics.quantiles(v, n=20)[-1] for k, v in results.items()}
    print(f"turns: {len(items)} (unseen by the embedding cache, sent once per proxy)")
    for name in results:
        print(f"{name:12s} median {med[name]:7.2f} ms   p95 {p95[name]:7.2f} ms")
    base = results["passthrough"]
    for name in ("lexicon", "full"):
        added = [g - p for g, p in zip(results[name], base, strict=True)]
        print(f"added by {name:8s}: median {med[name] - med['passthrough']:7.2f} ms "
              f"(paired per-turn median {statistics.median(added):.2f} ms, "
              f"p95 {statistics.quantiles(added, n=20)[-1]:.2f} ms); "
              f"ratio {med[name] / med['passthrough']:.2f}x")


if __name__ == "__main__":
    main()
