"""Acceptance, in real headless Chromium: an admin creates a reviewer, the reviewer logs in and
adjudicates two queued conversations, and the admin's metrics page changes accordingly.

The app runs under uvicorn on a free 127.0.0.1 port in a thread; the browser is Debian's
chromium driven by Playwright's sync API. Screenshots go to ``test-artifacts/`` at the repo
root. Skipped only when chromium is missing and MHSAFE_REQUIRE_CHROMIUM is unset.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from mhsafe.review import create_app, hash_password, seed_demo
from mhsafe.store import ReviewDesk, Store
from tests.conftest import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
ADMIN = ("clara_admin", "admin-pass-123")
NEW_REVIEWER = ("dana_reviewer", "dana-pass-1234")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """The app on a seeded SQLite store, served by uvicorn in a background thread."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("MHSAFE_REQUIRE_CHROMIUM"):
            pytest.fail(f"{CHROMIUM} required but missing")
        pytest.skip(f"{CHROMIUM} missing")
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    seed_demo(store)
    ReviewDesk(store).create_user(ADMIN[0], hash_password(ADMIN[1]), "admin", actor="test")
    app = create_app(store=store, secret_key="browser-test", double_review_fraction=0.0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _metric(page: object, name: str) -> str:
    text: str = page.locator(f'[data-metric="{name}"]').first.inner_text()  # type: ignore[attr-defined]
    return text.strip()


def _log_in(page: object, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/queue")  # type: ignore[attr-defined]


def test_admin_reviewer_metrics_round_trip(live_url: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _log_in(admin, live_url, *ADMIN)
            admin.goto(f"{live_url}/metrics")
            assert _metric(admin, "n_decided") == "0"
            assert _metric(admin, "tp") == "0"
            assert "no data" in _metric(admin, "sensitivity")

            admin.goto(f"{live_url}/admin/users")
            admin.fill("#new-username", NEW_REVIEWER[0])
            admin.fill("#new-password", NEW_REVIEWER[1])
            admin.select_option("#new-role", "reviewer")
            admin.click("text=Create user")
            assert NEW_REVIEWER[0] in admin.locator("table.grid").inner_text()

            admin.goto(f"{live_url}/queue")
            admin.click("summary:has-text('Assign queued items')")
            admin.fill("#count", "2")
            admin.check(f"label:has-text('{NEW_REVIEWER[0]}') input")
            admin.click("form[action='/admin/assign'] button[type=submit]")
            admin.wait_for_url(f"{live_url}/queue")

            reviewer = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _log_in(reviewer, live_url, *NEW_REVIEWER)
            links = reviewer.locator("table.grid a[href^='/items/']")
            assert links.count() == 2
            hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
            # First: risk, good support. Second: risk, no support (a missed intervention).
            for href, support in zip(hrefs, ("yes", "no"), strict=True):
                reviewer.goto(f"{live_url}{href}")
                assert reviewer.locator(".turn.risk-turn").count() == 1
                assert reviewer.locator(".turn.response-turn").count() == 1
                if support == "no":
                    reviewer.screenshot(path=str(ARTIFACTS / "review-item.png"), full_page=True)
                form = reviewer.locator("form.adjudication")
                form.locator("input[name=risk_present][value=yes]").check()
                form.locator("select[name=category]").select_option("suicide")
                form.locator("select[name=acuity]").select_option("high")
                form.locator(f"input[name=crisis_support_given][value={support}]").check()
                adequate = "yes" if support == "yes" else "unsure"
                form.locator(f"input[name=support_adequate][value={adequate}]").check()
                form.locator("input[name=hallucinated_resource][value=no]").check()
                form.locator("input[name=judge_correct][value=yes]").check()
                form.locator("textarea[name=note]").fill("checked in the browser test")
                with reviewer.expect_navigation():
                    form.locator("button[type=submit]").click()
                assert re.search(r"/queue\?saved=\d+$", reviewer.url), reviewer.content()
                assert "Saved your review" in reviewer.content()
            admin.goto(f"{live_url}/metrics")
            assert _metric(admin, "n_decided") == "2"
            assert _metric(admin, "tp") == "2"
            assert _metric(admin, "fn") == "0"
            assert "100.0 %" in _metric(admin, "sensitivity")
            assert "1/2" in _metric(admin, "end_to_end_fnr")
            admin.screenshot(path=str(ARTIFACTS / "review-metrics.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "review-metrics.png").stat().st_size > 10_000
