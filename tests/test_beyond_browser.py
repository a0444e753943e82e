"""Issue 5 in a real browser: Debian's Chromium through a real mitmproxy (`mitmdump -s` with the
add-on) in front of the demo site. A timeline post asking for what the user offers gets its
badge; a scripted session of drafts and holds shows up on http://pullcheck.localhost/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import yaml
from chromium_marks import ARTIFACTS, NEEDS_CHROMIUM
from pullcheck.demo.site import DemoServer
from pullcheck.demo.stack import (
    ANSWER_REPLY,
    PUSH_REPLY,
    ProxyProcess,
    launch_chromium,
    open_demo,
    type_reply,
    write_config,
)

pytestmark = [
    NEEDS_CHROMIUM,
    pytest.mark.timeout(240),
]
sync_api = pytest.importorskip("playwright.sync_api")

WAIT_MS = 15_000
JORDAN_X = "1790000000000000300"
JORDAN_MASTODON = "113456789012345678"
SAM_X = "1790000000000000301"
BADGE = "[data-pullcheck-opportunity]"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("beyond-e2e")
    site = DemoServer().start()
    config = write_config(folder, site.port, mode="hold", hold_timeout_s=60)
    settings = yaml.safe_load(config.read_text())
    settings["offer"] = ["web design for bakeries"]
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    proxy = ProxyProcess(folder, config)
    try:
        proxy.wait_active()
        yield SimpleNamespace(site=site, proxy=proxy, folder=folder)
    finally:
        proxy.stop()
        site.stop()


@pytest.fixture(scope="module")
def browser(stack: SimpleNamespace) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright, stack.proxy.port)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def test_a_post_asking_for_the_offer_gets_a_dismissible_badge(page, stack) -> None:
    open_demo(page, stack.site.url)
    for post_id in (JORDAN_X, JORDAN_MASTODON):
        badge = page.locator(f'[data-post-id="{post_id}"] {BADGE}')
        badge.wait_for(state="visible", timeout=WAIT_MS)
        assert "asking for what you offer" in badge.inner_text()
        assert "web design for bakeries" in (badge.get_attribute("title") or "")
    # Sam's half marathon asks for nothing.
    assert page.locator(f'[data-post-id="{SAM_X}"] {BADGE}').count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "opportunity-badge.png"))
    page.click(f'[data-post-id="{JORDAN_X}"] {BADGE} button')
    assert page.locator(f'[data-post-id="{JORDAN_X}"] {BADGE}').count() == 0
    assert page.errors == []


def test_dashboard_shows_the_sessions_figures(page, stack) -> None:
    open_demo(page, stack.site.url)
    # Two push replies held: one edited, one sent anyway; one answer to Jordan's question.
    for choice in ("edit", "send"):
        page.fill("#compose", "")
        type_reply(page, "sam_runs", PUSH_REPLY)
        page.click("#send")
        page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
        page.click(f".dialog button.{choice}")
        page.wait_for_selector(".dialog-backdrop", state="hidden", timeout=WAIT_MS)
        page.wait_for_selector(
            "#status.ok" if choice == "send" else "#status.error", timeout=WAIT_MS
        )
    page.fill("#compose", "")
    type_reply(page, "jordan_bakes", ANSWER_REPLY)
    page.click("#send")
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)

    response = page.goto("http://pullcheck.localhost/", timeout=WAIT_MS)
    assert response is not None
    assert response.status == 200
    html = page.content()
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', html))
    assert figures["hold"] == "2"
    assert figures["edited"] == "1"
    assert figures["sent_anyway"] == "1"
    assert figures["revised_share"] == "50%"
    assert int(figures["draft_checked"]) >= 3
    assert int(figures["warning_shown"]) >= 2
    assert int(figures["opportunity"]) == 2  # Jordan's question on X and on Mastodon
    # The stylesheet came from the same address and applied (no inline style, no script).
    assert page.evaluate("getComputedStyle(document.querySelector('.cards')).display") == "grid"
    assert page.evaluate("document.scripts.length") == 0
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
