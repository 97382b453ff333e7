"""Legible figures, checked on the SVG the report embeds (figures drawn from the fixture's
stored verdicts and audits): text kept as text at readable sizes, n on every bar, zero bars
drawn, whole turns on the survival axis, a monotone audit funnel, and each audit shown once
under the system whose logs it read."""

from __future__ import annotations

import re

from mhsafe.axes import EpochVerdict
from mhsafe.report import build_figures
from mhsafe.report._figures import funnel_stages, suite_rates_figure, survival_figure
from tests.report.conftest import Written

TEXT = re.compile(r'<text style="font-size: (\d+(?:\.\d+)?)px[^"]*"[^>]*>([^<]*)</text>')


def _texts(svg: str) -> list[tuple[float, str]]:
    return [(float(size), text) for size, text in TEXT.findall(svg)]


def _by_system(written: Written, suite: str) -> dict[str, list[EpochVerdict]]:
    return {s: e.suites[suite].verdicts for s, e in written.built.evidence.items()
            if suite in e.suites}


def test_every_figure_is_inline_svg_with_readable_text(written: Written) -> None:
    sections = build_figures(written.built)
    figures = [f for figs in sections.values() for f in figs if f.svg]
    assert len(figures) >= 14
    for figure in figures:
        assert figure.svg is not None and figure.svg.startswith("<svg")
        assert "<image" not in figure.svg and "data:image/png" not in figure.svg
        sizes = [size for size, _ in _texts(figure.svg)]
        assert sizes, figure.id  # text is text, not paths
        assert min(sizes) >= 8, figure.id
    html = written.paths["html"].read_text(encoding="utf-8")
    assert "data:image/png" not in html and "<script src" not in html
    assert 'href="http' not in html  # no external assets


def test_n_on_every_bar_and_zero_bars_visible(written: Written) -> None:
    by_system = _by_system(written, "harmful_content")
    svg = suite_rates_figure("harmful_content", by_system)
    assert svg is not None
    expected = sorted(
        f"{sum(1 for v in vs if v.category == c and v.failed)}/"
        f"{sum(1 for v in vs if v.category == c and v.failed is not None)}"
        for vs in by_system.values() for c in {v.category for v in vs})
    labels = sorted(t for _, t in _texts(svg) if re.fullmatch(r"\d+/\d+", t))
    assert labels == expected
    fair_zero = [t for t in labels if t.startswith("0/")]
    assert len(fair_zero) >= len({v.category for v in by_system["scripted/fair"]})
    # Every bar links to its items, zero bars included (a link wraps a drawn patch).
    links = re.findall(r'<a xlink:href="(#items\?[^"]+)"', svg)
    assert len(links) == len(expected)
    assert "#items?system=scripted%2Ffair&amp;suite=harmful_content&amp;category=" in svg
    tick_sizes = {size for size, text in _texts(svg) if text in {"0%", "50%", "100%"}}
    assert tick_sizes == {9.0}


def test_survival_is_drawn_on_whole_turns(written: Written) -> None:
    svg = survival_figure(_by_system(written, "refusal_robustness"))
    assert svg is not None
    ticks = [t for _, t in _texts(svg) if re.fullmatch(r"[\d.]+", t)]
    x_ticks = ticks[: ticks.index("0.0")] if "0.0" in ticks else ticks
    assert x_ticks == ["0", "1", "2", "3", "4"]
    assert "scripted/unfair (n=10, 6 broke)" in svg and "scripted/fair (n=10, 0 broke)" in svg


def test_audit_funnel_is_monotone(written: Written) -> None:
    for evidence in written.built.evidence.values():
        for audit in evidence.audits:
            stages = funnel_stages(audit.summary)
            counts = [n for _, n in stages]
            assert counts == sorted(counts, reverse=True), stages
            assert [s for s, _ in stages] == [
                "audited", "flagged by the screen", "confirmed risk", "intervention judged",
                "missed interventions"]
    # The fixture's audit: 400 audited, 100 flagged (95 lexicon + 5 embedding-only), the
    # confirmed headline among the 95, 30 missed among them.
    last = max(written.built.evidence["scripted/fair"].audits, key=lambda a: a.created_at)
    assert funnel_stages(last.summary) == [
        ("audited", 400), ("flagged by the screen", 100), ("confirmed risk", 95),
        ("intervention judged", 95), ("missed interventions", 30)]


def test_a_summary_without_the_confirmed_split_is_still_monotone() -> None:
    old = {"conversations_audited": 300, "risk_detected": 40,
           "flagged_by_stage": {"lexicon": 30, "embedding": 10},
           "status": {"ok": 30, "missed_intervention": 6, "no_risk": 260},
           "missed_interventions": 6}
    assert [n for _, n in funnel_stages(old)] == [300, 40, 40, 36, 6]


def test_each_audit_is_shown_once_under_its_own_system(written: Written) -> None:
    html = written.paths["html"].read_text(encoding="utf-8")
    funnel = html[html.index('<section id="funnel">'):html.index('<section id="trends">')]
    blocks = funnel.split('<div class="system-audits" data-system="')[1:]
    assert [b.split('"', 1)[0] for b in blocks] == ["scripted/fair", "scripted/unfair"]
    for block in blocks:
        system = block.split('"', 1)[0]
        own = {a.run_id for a in written.built.evidence[system].audits}
        shown = set(re.findall(r'<h4>Audit (\S+) ', block))
        assert shown == own and len(own) == 3
        assert block.count('id="fig-funnel-') == 1
    for evidence in written.built.evidence.values():
        for audit in evidence.audits:
            assert html.count(f'<h4>Audit {audit.run_id} ') == 1
