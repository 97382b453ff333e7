"""Acceptance, in real headless Chromium: the report's per-item drill-down.

The report is built from the fixture's store plus one real Inspect evaluation (`run_suite` with
the scripted model, so the run has an Inspect log file) and one item whose user turn holds
personal data, with the real redactor (`mhsafe.redact`). In the page: filter the item table
(system + verdict), sort it by case (both directions), follow a bar's link in a figure to its
items, follow a caption's link to a run's items, and check the legends sit outside the data.
Screenshots go to ``test-artifacts/`` at the repo root (the review app's browser test does the
same, and this test reuses its Chromium settings).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from mhsafe.axes import load_thresholds
from mhsafe.redact import redact
from mhsafe.report import BuiltReport, build_report, write_report
from mhsafe.schema import Case
from mhsafe.store import Store
from mhsafe.suites import load_suite, run_suite, safety_task
from tests.axes.scripted import SUPPORT, register
from tests.report.storefill import _add_run
from tests.review.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _need_chromium

pytestmark = pytest.mark.browser
EMAIL = "jane.doe@example.com"


def _personal_case() -> Case:
    base = load_suite("suicide_risk")[-1]
    return base.model_copy(update={
        "id": "sr-personal", "turns": [f"{base.turns[0]} You can reach me at {EMAIL}."]})


@pytest.fixture(scope="module")
def report(filled_store_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[BuiltReport, Path, str]:
    _need_chromium()
    root = tmp_path_factory.mktemp("drilldown")
    copy = root / "store.db"
    shutil.copy(Path(filled_store_url.removeprefix("sqlite:///")), copy)
    store = Store(f"sqlite:///{copy}")
    cases = load_suite("suicide_risk")[::3][:14]
    register(cases)
    outcome = run_suite(safety_task("suicide_risk", cases=cases, max_tokens=32),
                        suite="suicide_risk", cases=cases, model="scripted/fair", store=store,
                        log_dir=root / "logs", display="none", max_connections=8)
    assert outcome.missing == 0 and outcome.log_path
    personal = _personal_case()
    register([personal])
    _add_run(store, "scripted/unfair", "over_refusal", [personal], lambda _c, _i: [SUPPORT])
    built = build_report(store, load_thresholds(), store_label="drilldown", redact=redact)
    paths = write_report(built, root / "report")
    store.close()
    return built, paths["html"], outcome.log_path


def _visible(page: Any, attribute: str) -> list[str]:
    values: list[str] = page.evaluate(
        "a => Array.from(document.querySelectorAll('#items-table tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.dataset[a])", attribute)
    return values


def test_per_item_drill_down(report: tuple[BuiltReport, Path, str]) -> None:
    from playwright.sync_api import sync_playwright

    built, html, log_path = report
    doc = built.document
    items = {(s.system, e.suite): e for s in doc.systems for e in s.evidence}
    total = sum(e.total for e in items.values())
    unfair_fails = sum(e.failing for (system, _), e in items.items()
                       if system == "scripted/unfair")
    harmful = items[("scripted/unfair", "harmful_content")]
    category = next(i.category for i in harmful.items if i.failed)
    in_category = sum(1 for i in harmful.items if i.category == category)
    text = html.read_text(encoding="utf-8")
    assert EMAIL not in text and "[EMAIL]" in text  # the real redactor ran
    ARTIFACTS.mkdir(exist_ok=True)
    shots = []

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.resolve().as_uri())
            shots.append(ARTIFACTS / "report-first-screen.png")
            page.screenshot(path=str(shots[-1]))
            assert page.locator("#verdict .verdict").count() == 2
            assert page.locator("#items-count").inner_text() == (
                f"{total} of {total} items shown")

            # Filter: one system's failing items.
            page.select_option("#filter-system", "scripted/unfair")
            page.select_option("#filter-verdict", "fail")
            assert set(_visible(page, "system")) == {"scripted/unfair"}
            assert set(_visible(page, "verdict")) == {"fail"}
            assert len(_visible(page, "case")) == unfair_fails
            assert page.locator("#items-count").inner_text() == (
                f"{unfair_fails} of {total} items shown")

            # Sort by case id, both ways.
            page.locator("#items-table thead th", has_text="case").locator("button").click()
            ascending = _visible(page, "case")
            assert ascending == sorted(ascending, key=str.lower)
            page.locator("#items-table thead th", has_text="case").locator("button").click()
            descending = _visible(page, "case")
            assert descending == sorted(ascending, key=str.lower, reverse=True)
            page.locator("#items").scroll_into_view_if_needed()
            shots.append(ARTIFACTS / "report-items-filtered-sorted.png")
            page.screenshot(path=str(shots[-1]))

            # Follow a bar's link in a figure: that system, suite and category.
            page.click("#filter-clear")
            bar = page.locator(
                f'figure#fig-rates-harmful-content a[*|href*="system=scripted%2Funfair"]'
                f'[*|href$="category={category}"]').first
            bar.scroll_into_view_if_needed()
            bar.click()
            page.wait_for_function("location.hash.startsWith('#items?')")
            assert set(_visible(page, "suite")) == {"harmful_content"}
            assert set(_visible(page, "system")) == {"scripted/unfair"}
            assert set(_visible(page, "category")) == {category}
            assert len(_visible(page, "case")) == in_category
            assert page.locator("#filter-category").input_value() == category
            shots.append(ARTIFACTS / "report-bar-drilldown.png")
            page.screenshot(path=str(shots[-1]))

            # Follow a caption's link: the run's anchor filters to its items, and the Inspect
            # log of the real run is named on each of them.
            page.goto(html.resolve().as_uri())
            page.locator("figure#fig-tiers-suicide-risk figcaption a",
                         has_text="scripted/fair").click()
            page.wait_for_function("location.hash.startsWith('#ev-')")
            assert set(_visible(page, "suite")) == {"suicide_risk"}
            assert set(_visible(page, "system")) == {"scripted/fair"}
            logs = page.evaluate(
                "Array.from(document.querySelectorAll('#items-table tbody tr'))"
                ".filter(r => !r.hidden).map(r => r.cells[11].textContent.trim())")
            assert set(logs) == {Path(log_path).name}

            # Legends sit outside the data area of every figure that has one.
            overlaps = page.evaluate("""() => {
              const bad = [];
              for (const fig of document.querySelectorAll('figure.report-figure')) {
                for (const legend of fig.querySelectorAll('g[id^="legend_"]')) {
                  const axes = legend.closest('g[id^="axes_"]');
                  const frame = axes && axes.querySelector('g[id^="patch_"]');
                  if (!frame) continue;
                  if (legend.getBoundingClientRect().left <
                      frame.getBoundingClientRect().right - 1) bad.push(fig.id);
                }
              }
              return bad; }""")
            assert overlaps == []
            assert errors == []
        finally:
            browser.close()
    for shot in shots:
        assert shot.stat().st_size > 10_000, shot
    print("screenshots:", ", ".join(str(s) for s in shots))
