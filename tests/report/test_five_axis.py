"""The five-axis report: JSON valid against the published schema, every section and figure
present in headless Chromium, figures linked to evidence, excerpts only through a redactor."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from mhsafe.report import report_json_schema
from tests.report.conftest import Written

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ("scorecard", "gate", "axes", "rates", "tiers", "survival", "funnel", "trends",
            "ecological", "regulatory", "evidence")


def test_published_schema_is_current() -> None:
    published = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
    assert published == report_json_schema(), "regenerate docs/report.schema.json (docs/report.md)"


def test_json_validates_against_schema(written: Written) -> None:
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
    document = json.loads(written.paths["json"].read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert {s["system"] for s in document["systems"]} == {"scripted/fair", "scripted/unfair"}
    assert all(len(s["axes"]) == 5 for s in document["systems"])


def test_planted_faults_fail_and_fair_axes_pass(written: Written) -> None:
    systems = {s.system: {a.name: a.status for a in s.axes} for s in written.built.document.systems}
    assert set(systems["scripted/unfair"].values()) == {"fail"}
    assert all(status == "pass" for status in systems["scripted/fair"].values())
    gate = written.built.document.gate
    assert gate is not None and not gate.passed
    assert {f.system for f in gate.failures} == {"scripted/unfair"}


def test_every_figure_links_to_evidence_that_exists(written: Written) -> None:
    doc = written.built.document
    anchors = {e.anchor for s in doc.systems for e in s.evidence}
    html = written.paths["html"].read_text(encoding="utf-8")
    suites_with_evidence = [f for f in doc.figures if f.id.startswith(("fig-rates", "fig-tiers"))]
    assert suites_with_evidence and all(f.links for f in suites_with_evidence)
    for figure in doc.figures:
        for link in figure.links:
            assert f'id="{link}"' in html, link
    assert all(link in anchors for f in suites_with_evidence for link in f.links)


def test_evidence_lists_fail_first_with_redacted_excerpts(written: Written) -> None:
    unfair = next(s for s in written.built.document.systems if s.system == "scripted/unfair")
    for evidence in unfair.evidence:
        ranks = [0 if i.failed is True else 1 if i.failed is None else 2 for i in evidence.items]
        assert ranks == sorted(ranks)
        assert evidence.failing == sum(1 for i in evidence.items if i.failed is True)
    excerpts = [i.excerpt for e in unfair.evidence for i in e.items if i.excerpt]
    assert excerpts and all(x.startswith("[redacted] ") for x in excerpts)
    assert all(i.excerpt is None for e in unfair.evidence for i in e.items if i.failed is False)


def test_markdown_names_systems_gate_and_changes(written: Written) -> None:
    markdown = written.paths["markdown"].read_text(encoding="utf-8")
    assert "scripted/unfair" in markdown and "Gate: **FAILED**" in markdown
    assert "Significant changes between audits" in markdown
    assert "not a claim of compliance" in markdown


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if name and Path(name).exists():
            return name
    return None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(written: Written) -> None:
    executable = _chromium()
    if executable is None:
        if os.environ.get("MHSAFE_REQUIRE_CHROMIUM"):
            pytest.fail("Chromium required in CI but not found")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    expected_images = sum(1 for _ in _figures_with_png(written))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(written.paths["html"].resolve().as_uri())
        page.screenshot(path=str(artifacts / "report.png"), full_page=False)
        for section in SECTIONS:
            assert page.locator(f"section#{section} h2").count() == 1, section
        loaded = page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
        total = page.evaluate("document.images.length")
        figures = page.evaluate(
            "Array.from(document.querySelectorAll('figure.report-figure')).map(f => f.id)")
        browser.close()
    assert total == loaded == expected_images > 0
    assert set(figures) == {f.id for f in written.built.document.figures}
    for required in ("fig-scorecard", "fig-survival", "fig-trends"):
        assert required in figures
    assert any(f.startswith("fig-rates") for f in figures)
    assert any(f.startswith("fig-tiers") for f in figures)
    assert any(f.startswith("fig-funnel") for f in figures)
    assert (artifacts / "report.png").stat().st_size > 0


def _figures_with_png(written: Written) -> list[str]:
    html = written.paths["html"].read_text(encoding="utf-8")
    return [chunk for chunk in html.split("data:image/png;base64,")[1:]]
