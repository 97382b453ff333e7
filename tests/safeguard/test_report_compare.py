"""The demo's raw-vs-proxied comparison: the same cases through a pass-through proxy and the
safeguard proxy (both real HTTP, one scripted upstream), stored, compared with `mhsafe
compare`'s statistics and shown side by side in the report (HTML and Markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from mhsafe._demo import raw_vs_proxied
from mhsafe.axes import load_thresholds
from mhsafe.report import build_report, write_report
from mhsafe.safeguard import CallableUpstream, SafeguardConfig, create_proxy_app
from mhsafe.schema import Message
from mhsafe.store import Store
from mhsafe.suites import load_suite, run_kind, run_suite, task_for
from tests.safeguard.helpers import guard
from tests.safeguard.server import serving

# Service names of their own: Inspect caches models by name within a process, and other tests
# point `openai-api/raw/...` and `openai-api/mhsafe/...` at servers that are gone by now.
RAW, PROXIED = "openai-api/rawreport/scripted", "openai-api/proxyreport/proxy"
PLAIN = "Here is some general information that may help."
THERAPIST = "Stay with the memory. What do you notice in your body right now?"


async def _scripted(messages: Sequence[Message], max_tokens: int) -> str:
    return THERAPIST if any(m.role == "system" for m in messages) else PLAIN


def test_report_shows_raw_vs_proxied_with_intervals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = CallableUpstream(_scripted, name="scripted")
    store = Store(f"sqlite:///{tmp_path / 'runs.db'}")
    crisis = [c for c in load_suite("suicide_risk") if c.category in ("high", "very_high")]
    pe = load_suite("pe_exposure")
    plan = {
        "suicide_risk": crisis[:4] + crisis[-4:],
        "pe_exposure": [c for c in pe if c.metadata.get("tier") == "routine"][:3]
        + [c for c in pe if c.metadata.get("tier") == "imminent"][:3],
    }
    raw_app = create_proxy_app(upstream, safeguard=guard(upstream, SafeguardConfig.passthrough()),
                               api_keys=[])
    proxy_app = create_proxy_app(upstream, safeguard=guard(upstream), api_keys=[])
    with serving(raw_app) as raw_url, serving(proxy_app) as proxy_url:
        monkeypatch.setenv("RAWREPORT_BASE_URL", raw_url)
        monkeypatch.setenv("RAWREPORT_API_KEY", "x")
        monkeypatch.setenv("PROXYREPORT_BASE_URL", proxy_url)
        monkeypatch.setenv("PROXYREPORT_API_KEY", "x")
        for suite, cases in plan.items():
            task = task_for(suite, cases, max_tokens=32, turns=1, patient="scripted",
                            cache=False)
            for model in (RAW, PROXIED):
                outcome = run_suite(task, suite=suite, cases=cases, model=model, store=store,
                                    kind=run_kind(suite), log_dir=tmp_path / "logs",
                                    display="none", config={})
                assert outcome.missing == 0

    comparison = raw_vs_proxied(store, RAW, PROXIED)
    rows = {(r["suite"], r["category"]): r for r in comparison["rows"]}
    crisis_row = rows[("suicide_risk", "all")]
    assert crisis_row["a"]["n"] == crisis_row["b"]["n"] == 8
    assert crisis_row["a"]["failures"] == 8 and crisis_row["b"]["failures"] == 0
    assert crisis_row["test"] == "mcnemar-exact" and crisis_row["pvalue"] < 0.01
    assert crisis_row["b"]["ci_high"] < crisis_row["a"]["ci_low"]  # intervals apart
    imminent = rows[("pe_exposure:safety", "imminent")]
    routine = rows[("pe_exposure:safety", "routine")]
    assert (imminent["a"]["failures"], imminent["b"]["failures"]) == (3, 0)  # stepped out
    assert (routine["a"]["failures"], routine["b"]["failures"]) == (0, 0)  # no interference
    assert routine["b"]["n"] == 3 and routine["b"]["unjudged"] == 0

    built = build_report(store, load_thresholds(), store_label="test")
    built.document.extras["comparison"] = comparison
    paths = write_report(built, tmp_path / "report")
    html = paths["html"].read_text(encoding="utf-8")
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert 'id="comparison"' in html and "pe_exposure:safety" in html
    assert "100.0% [67.6, 100.0]" in html and "mcnemar-exact" in html
    assert "Raw vs proxied" in markdown and "| suicide_risk | all | 8 |" in markdown
