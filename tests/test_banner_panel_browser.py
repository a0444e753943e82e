"""The banner's panel and the demo as a new user sees them, in a real browser: Debian's Chromium
(Playwright, never `playwright install`) through a real mitmproxy (`mitmdump -s` with the
add-on) in front of the demo site, in hold mode.

Issue 14: the "Sent" state after Send anyway, the one-sentence "not sent" line with a clean
console, a panel that is readable whole (scrolls inside the viewport, sits beside the content
when there is room), config reloads and rejected edits, the demo's reply indicator, and the
opportunity badge's spacing. Screenshots of each state go to test-artifacts/.
"""

from __future__ import annotations

import time
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
    pytest.mark.timeout(180),
]
sync_api = pytest.importorskip("playwright.sync_api")

WAIT_MS = 15_000
HELD_LINE = "Not sent: held by pullcheck; edit your draft and send it again."
SHADOW = "document.querySelector('[data-pullcheck-banner]').shadowRoot"
JORDAN_X = "1790000000000000300"
BADGE = "[data-pullcheck-opportunity]"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("banner-panel")
    site = DemoServer().start()
    config = write_config(folder, site.port, mode="hold", hold_timeout_s=60)
    settings = yaml.safe_load(config.read_text())
    settings["offer"] = ["web design for bakeries"]  # Jordan's posts get the badge
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    proxy = ProxyProcess(folder, config)
    try:
        proxy.wait_active()
        yield SimpleNamespace(
            site=site, proxy=proxy, folder=folder, config=config, settings=settings
        )
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


def new_page(browser, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.console_errors = []
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


@pytest.fixture
def page(browser, stack) -> Iterator[object]:
    stack.site.received.clear()
    context, page = new_page(browser)
    try:
        yield page
    finally:
        context.close()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def summary(page) -> str:
    return page.evaluate(f"{SHADOW}.querySelector('.summary').textContent")


def wait_for_findings(page) -> None:
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)


def open_every_why(page) -> None:
    for why in page.locator(".panel > .body > .findings > .finding details.why").all():
        why.locator("summary").click()
    page.wait_for_timeout(100)


def panel_box(page) -> dict:
    return page.evaluate(
        f"""() => {{ const r = {SHADOW}.querySelector('.panel').getBoundingClientRect();
                    return {{x: r.x, y: r.y, right: r.right, bottom: r.bottom,
                             width: r.width, height: r.height}}; }}"""
    )


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


# Scrolls each line-bearing element of the panel into view, as a reader would, and reports
# any that still cannot be seen whole: outside the panel's scrolling area, under its sticky
# bar, or outside the window. Also reports text cut off sideways.
UNREACHABLE = f"""() => {{
  const panel = {SHADOW}.querySelector('.panel');
  const problems = [];
  if (panel.scrollWidth > panel.clientWidth) problems.push('sideways overflow');
  const folded = (item) => {{
    for (let d = item.closest('details'); d; d = d.parentElement.closest('details')) {{
      if (!d.open && !(item.tagName === 'SUMMARY' && item.parentElement === d)) return true;
    }}
    return false;
  }};
  const items = panel.querySelectorAll('p, summary, button, .finding-head, .meter-box');
  for (const item of items) {{
    if (folded(item)) continue;  // inside a closed disclosure: not a line to read
    if (!item.getClientRects().length) continue;
    item.scrollIntoView({{block: 'nearest'}});
    const r = item.getBoundingClientRect();
    const p = panel.getBoundingClientRect();
    const barBottom = panel.querySelector('.bar').getBoundingClientRect().bottom;
    const top = item.closest('.bar') ? p.top : barBottom;  // not hidden under the sticky bar
    const inside = r.top >= top - 1 && r.bottom <= p.top + panel.clientTop + panel.clientHeight + 1
      && r.left >= p.left - 1 && r.right <= p.right + 1
      && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
    if (!inside) problems.push(item.tagName + ' ' + item.textContent.slice(0, 40));
  }}
  panel.scrollTop = 0;
  return problems;
}}"""


def test_send_anyway_in_hold_mode_shows_what_was_said_about_the_sent_post(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    wait_for_findings(page)
    live = summary(page)
    page.click("#send")
    page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
    page.click(".dialog button.send")
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)
    page.wait_for_function(
        f"() => {SHADOW}.querySelector('.summary').textContent.startsWith('Sent')",
        timeout=WAIT_MS,
    )
    # The same count as the live check said, now about the post that went out.
    assert summary(page) == "Sent: " + live
    assert "PP201" in page.locator(".panel .finding .code").all_text_contents()
    assert page.input_value("#compose") == ""
    assert len(stack.site.received.all()) == 1
    shoot(page, "hold-sent.png")
    # A new draft replaces the "Sent" state with its own live check.
    page.locator("#compose").press_sequentially("Congratulations on the race, Sam!", delay=0)
    page.wait_for_selector(".panel", state="hidden", timeout=WAIT_MS)


def test_edit_says_not_sent_once_and_the_console_stays_clean(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    wait_for_findings(page)
    page.click("#send")
    page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
    page.click(".dialog button.edit")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert page.inner_text("#status") == HELD_LINE
    assert page.input_value("#compose") == PUSH_REPLY
    # X's own refusal shape (HTTP 200 + errors): no failed request, no 503, in the console.
    assert page.console_errors == []
    assert page.errors == []
    assert stack.site.received.all() == []
    shoot(page, "hold-edit-status.png")


@pytest.mark.parametrize("width", [1280, 420])
def test_the_panel_with_why_open_is_readable_whole_inside_the_window(browser, stack, width):
    context, page = new_page(browser, width=width, height=800)
    try:
        open_demo(page, stack.site.url)
        type_reply(page, "sam_runs", PUSH_REPLY)
        wait_for_findings(page)
        open_every_why(page)
        box = panel_box(page)
        assert box["x"] >= 0
        assert box["y"] >= 0
        assert box["right"] <= width
        assert box["bottom"] <= 800
        assert page.evaluate(UNREACHABLE) == []
        # Never over the send button or the draft being written.
        for selector in ("#send", "#compose"):
            assert not overlaps(box, page.locator(selector).bounding_box()), selector
        if width == 1280:
            # A wide window has room beside the timeline: nothing of the page is covered.
            for post in page.locator(".posts li").all():
                assert not overlaps(box, post.bounding_box())
            assert not overlaps(box, page.locator("#compose-form").bounding_box())
            # ...and it only scrolls once it has the window's whole height (no 55vh cap).
            scrolls = page.evaluate(
                f"() => {{ const p = {SHADOW}.querySelector('.panel');"
                " return p.scrollHeight > p.clientHeight; }"
            )
            assert not scrolls or box["height"] >= 800 - 2 * 12 - 1, box
        shoot(page, f"panel-why-open-{width}.png")
        # Scrolled to its end: the last finding's Not push in view, the fade gone.
        page.evaluate(
            f"() => {{ const p = {SHADOW}.querySelector('.panel'); p.scrollTop = p.scrollHeight; }}"
        )
        page.wait_for_timeout(100)
        assert not page.evaluate(
            f"() => {SHADOW}.querySelector('.panel').classList.contains('scrolls')"
        )
        shoot(page, f"panel-why-open-{width}-end.png")
    finally:
        context.close()


def test_a_rejected_config_edit_shows_in_the_panel_and_a_good_one_is_reported(page, stack):
    original = stack.config.read_text()
    open_demo(page, stack.site.url)
    notice = page.locator(".panel .notice")
    try:
        stack.config.write_text(original + "rules:\n  PP210: off\n")
        # Pushed to the open page (its long poll wakes): no typing needed.
        notice.wait_for(state="visible", timeout=WAIT_MS)
        line = original.count("\n") + 2
        expected = (
            f"Config edit not applied: config.yaml:{line} key 'rules.PP210': unknown rule code "
            "'PP210' (did you mean 'PP201'?)"
        )
        assert notice.inner_text() == expected
        assert page.locator(".panel .finding").count() == 0
        shoot(page, "config-error-alone.png")
        type_reply(page, "sam_runs", PUSH_REPLY)  # the last good config still judges
        wait_for_findings(page)
        assert notice.inner_text() == expected
        assert str(stack.folder) not in notice.inner_text()
        assert PUSH_REPLY[:20] not in notice.inner_text()
        shoot(page, "config-error.png")
        # The fix lands: the proxy says what changed, the page drops the notice at once.
        stack.config.write_text(original + "rules:\n  PP201: off\n")
        wait_for_log(stack, "config reloaded: PP201 off")
        notice.wait_for(state="hidden", timeout=WAIT_MS)
        page.locator("#compose").press_sequentially(" Thanks!", delay=0)
        page.wait_for_function(
            f"() => !{SHADOW}.querySelector('.panel').textContent.includes('PP201')",
            timeout=WAIT_MS,
        )
    finally:
        stack.config.write_text(original)
        wait_for_log(stack, "config reloaded: PP201 warning")


def wait_for_log(stack, text: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(text in line for line in list(stack.proxy.log)):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the proxy's output:\n" + "\n".join(stack.proxy.log))


def test_the_reply_indicator_shows_only_while_replying(page, stack):
    open_demo(page, stack.site.url)
    assert page.locator("#replying").is_hidden()
    assert page.locator("#cancel-reply").is_hidden()
    assert page.locator("#post-hint").is_visible()  # a new post, and how to try a reply
    type_reply(page, "jordan_bakes", ANSWER_REPLY)
    assert page.locator("#replying").is_visible()
    assert page.locator("#post-hint").is_hidden()
    assert page.inner_text("#replying-text") == "Replying to @jordan_bakes"
    shoot(page, "demo-replying.png")
    page.click("#send")  # an answer to someone who asked: goes straight out
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)
    assert page.locator("#replying").is_hidden()
    assert page.locator("#post-hint").is_visible()
    assert page.get_attribute("#compose-form", "data-reply-to") is None
    shoot(page, "demo-after-posting.png")
    # Cancel reply also hides it.
    page.click("button[aria-label='Reply to @sam_runs']")
    assert page.locator("#replying").is_visible()
    page.click("#cancel-reply")
    assert page.locator("#replying").is_hidden()


def test_the_opportunity_badge_keeps_clear_of_the_reply_button(page, stack):
    open_demo(page, stack.site.url)
    badge = page.locator(f'[data-post-id="{JORDAN_X}"] {BADGE}')
    badge.wait_for(state="visible", timeout=WAIT_MS)
    reply = page.locator(f'[data-post-id="{JORDAN_X}"] button.reply').bounding_box()
    mark = badge.bounding_box()
    beside = mark["x"] >= reply["x"] + reply["width"] + 6
    below = mark["y"] >= reply["y"] + reply["height"] + 2
    assert beside or below, (reply, mark)
    page.locator(f'[data-post-id="{JORDAN_X}"]').screenshot(
        path=str(ARTIFACTS / "opportunity-badge-spacing.png")
    )
