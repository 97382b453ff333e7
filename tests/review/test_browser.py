"""Acceptance, in real headless Chromium: an admin creates a reviewer, the reviewer logs in and
adjudicates two queued conversations (blind: the finding appears only after saving), and the
admin's metrics page changes accordingly. A second test labels 20 conversations by keyboard
alone and prints the time per item (``-s`` shows it; also in test-artifacts/).

The app runs under uvicorn on a free 127.0.0.1 port in a thread; the browser is Debian's
chromium driven by Playwright's sync API. Screenshots go to ``test-artifacts/`` at the repo
root. Skipped only when chromium is missing and MHSAFE_REQUIRE_CHROMIUM is unset.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mhsafe.review import create_app, hash_password, seed_demo
from mhsafe.store import ReviewDesk, ReviewItemIn, Store
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


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("MHSAFE_REQUIRE_CHROMIUM"):
            pytest.fail(f"{CHROMIUM} required but missing")
        pytest.skip(f"{CHROMIUM} missing")


@contextlib.contextmanager
def _serve(store: Store) -> Iterator[str]:
    """The app on ``store``, served by uvicorn in a background thread."""
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


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """The app on a seeded SQLite store."""
    _need_chromium()
    store = Store(f"sqlite:///{tmp_path / 'browser.db'}")
    seed_demo(store)
    ReviewDesk(store).create_user(ADMIN[0], hash_password(ADMIN[1]), "admin", actor="test")
    try:
        with _serve(store) as url:
            yield url
    finally:
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
                # blind queue: no highlighted turns, no finding, no judge question yet
                assert reviewer.locator(".turn.risk-turn").count() == 0
                assert reviewer.locator("#blind-note").count() == 1
                assert reviewer.locator("#why").count() == 0
                assert reviewer.locator("input[name=judge_correct]").count() == 0
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
                form.locator("textarea[name=note]").fill("checked in the browser test")
                with reviewer.expect_navigation():
                    form.locator("button[name=then][value=next]").first.click()
                # save & next: the next item, then the queue after the last one
                expected = r"/items/\d+\?saved=\d+$" if support == "yes" else r"/queue\?saved=\d+$"
                assert re.search(expected, reviewer.url), reviewer.url
                assert "Saved your review" in reviewer.content()
            reviewer.goto(f"{live_url}{hrefs[1]}")  # answered: now the finding is shown
            assert reviewer.locator(".turn.risk-turn").count() == 1
            assert "Why was this flagged?" in reviewer.locator("#why").inner_text()
            reviewer.screenshot(path=str(ARTIFACTS / "review-item-revealed.png"), full_page=True)
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


# -- speed: 20 items by keyboard alone --------------------------------------------------------

KEY_REVIEWER = ("kim_reviewer", "amber-fjord-lantern")
N_ITEMS = 20
#: Keys for a risk answer: risk yes (1), category suicide (2), acuity high (4), crisis support
#: yes (1), adequate yes (1), hallucinated resource no (2), then Enter (save & next). The
#: judge question is not asked in a blind queue; the note is skipped.
RISK_KEYS = ["1", "2", "4", "1", "1", "2"]


def _keyboard_queue(store: Store) -> dict[str, bool]:
    """A run of 20 short synthetic conversations; returns which ones the test calls risk."""
    run_id = store.create_run("audit", "keyboard-benchmark")
    plan: dict[str, bool] = {}
    items = []
    for i in range(N_ITEMS):
        risk = i % 2 == 0
        cid = f"kb-{i:02d}"
        plan[cid] = risk
        user = ("I have been thinking about ending my life." if risk
                else "Can you help me plan a revision timetable?")
        items.append(ReviewItemIn.model_validate({
            "conversation_id": cid, "reason": "flagged" if risk else "sample",
            "stratum": "short", "category": "suicide" if risk else "none",
            "risk_turn": 0 if risk else None, "response_turn": 1 if risk else None,
            "messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": "Thank you for telling me."}],
            "finding": {"conversation_id": cid, "risk_detected": risk,
                        "risk_category": "suicide" if risk else "none", "acute": False,
                        "risk_turn": 0 if risk else None, "intervention_detected": risk,
                        "intervention_turn": 1 if risk else None,
                        "hallucinated_resource": False, "over_trigger": False,
                        "status": "ok" if risk else "no_risk", "stages": ["lexicon"]},
        }))
    store.add_review_items(run_id, items)
    return plan


def test_twenty_items_by_keyboard_alone(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _need_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    store = Store(f"sqlite:///{tmp_path / 'keyboard.db'}")
    plan = _keyboard_queue(store)
    desk = ReviewDesk(store)
    user = desk.create_user(KEY_REVIEWER[0], hash_password(KEY_REVIEWER[1]), "reviewer",
                            actor="test")
    desk.auto_assign([user.id], count=N_ITEMS, double_review_fraction=0.0, actor="test")
    try:
        with _serve(store) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
                _log_in(page, base, *KEY_REVIEWER)
                page.locator("table#items a[href^='/items/']").first.click()
                page.wait_for_selector("form.adjudication[data-keys]")
                seen: list[str] = []
                start = time.perf_counter()
                for n in range(N_ITEMS):
                    heading = page.locator("p.muted").first.inner_text()
                    match = re.search(r"Conversation (kb-\d+)", heading)
                    assert match is not None, heading
                    cid = match.group(1)
                    seen.append(cid)
                    assert page.locator(".field.current").count() == 1
                    with page.expect_navigation():
                        if plan[cid]:
                            for key in RISK_KEYS:
                                page.keyboard.press(key)
                            page.keyboard.press("Enter")
                        else:
                            page.keyboard.press("n")
                    if n < N_ITEMS - 1:
                        page.wait_for_selector("form.adjudication[data-keys]")
                elapsed = time.perf_counter() - start
                assert re.search(r"/queue\?saved=\d+$", page.url), page.url
                assert f"{N_ITEMS} of {N_ITEMS} done" in page.content()
            finally:
                browser.close()
    finally:
        labels = {i.conversation_id: desk.adjudications(i.id)
                  for i in desk.list_items(limit=N_ITEMS)}
        store.close()
    per_item = elapsed / N_ITEMS
    report: dict[str, Any] = {"items": N_ITEMS, "seconds": round(elapsed, 2),
                              "seconds_per_item": round(per_item, 3)}
    (ARTIFACTS / "review-keyboard.json").write_text(json.dumps(report, indent=2))
    print(f"\nkeyboard review: {N_ITEMS} items in {elapsed:.1f} s = {per_item:.2f} s per item")
    # every item once, in queue order: the risk ones (acuity "risk") before the no-risk ones
    assert seen == [c for c in plan if plan[c]] + [c for c in plan if not plan[c]]
    for cid, risk in plan.items():
        [label] = labels[cid]
        got = (label.risk_present, label.category, label.acuity, label.crisis_support_given,
               label.support_adequate, label.hallucinated_resource, label.blind)
        want = ((True, "suicide", "high", True, True, False, True) if risk
                else (False, "none", "none", None, None, None, True))
        assert got == want, cid
    assert per_item < 10.0  # a broken shortcut would time out long before this
