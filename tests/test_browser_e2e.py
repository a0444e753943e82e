"""The banner in a real browser: Debian's Chromium (Playwright, never `playwright install`) through
a real mitmproxy (`mitmdump -s` with the pullcheck add-on) in front of the demo site.

Screenshots of the live banner and the hold dialog go to test-artifacts/.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from chromium_marks import ARTIFACTS, NEEDS_CHROMIUM
from pullcheck.demo.site import DemoServer, page_csp
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
# Collects what the page's CSP reports; injected through DevTools, so the page's CSP and Trusted
# Types do not apply to it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, sample: e.sample});
});
"""


class OtherOrigin(BaseHTTPRequestHandler):
    """A page on another origin (another port): no CSP, nothing injected."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        body = b"<!doctype html><html><head><title>other</title></head><body>other</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("banner-e2e")
    site = DemoServer().start()
    other = ThreadingHTTPServer(("127.0.0.1", 0), OtherOrigin)
    other_thread = threading.Thread(target=other.serve_forever, daemon=True)
    other_thread.start()
    config = write_config(folder, site.port, mode="hold", hold_timeout_s=60)
    proxy = ProxyProcess(folder, config)
    try:
        proxy.wait_active()
        yield SimpleNamespace(
            site=site,
            proxy=proxy,
            folder=folder,
            other_url=f"http://127.0.0.1:{other.server_address[1]}/",
        )
    finally:
        proxy.stop()
        site.stop()
        other.shutdown()
        other.server_close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    # One Playwright per module: the sync API cannot run two at once.
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright, stack: SimpleNamespace) -> Iterator[object]:
    browser = launch_chromium(playwright, stack.proxy.port)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(browser, stack) -> Iterator[object]:
    stack.site.received.clear()
    context = browser.new_context(viewport={"width": 1200, "height": 760})
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    page.console_messages = []
    page.dialogs = []
    page.errors = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))

    def on_dialog(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()


def finding_codes(page) -> list[str]:
    return page.locator(".panel .finding .code").all_text_contents()


def received(stack) -> list[dict]:
    return stack.site.received.all()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def send_and_wait_for_hold(page) -> None:
    page.click("#send")
    page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)


def test_a_push_reply_shows_the_banner_with_the_pitch_rule_before_anything_is_sent(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    codes = finding_codes(page)
    assert "PP201" in codes
    assert received(stack) == []
    text = page.locator(".panel").inner_text()
    assert "Instead:" in text
    assert "Not push" in text
    assert "Why?" in text
    # Screen readers hear the top finding (the live region sits outside the panel).
    assert page.locator("[aria-live=polite]").text_content().startswith("pullcheck Warning")
    assert page.locator(".panel .meter").get_attribute("aria-valuenow") != "0"
    shoot(page, "banner-live.png")


def test_a_reply_to_a_post_that_asked_for_that_service_shows_no_banner(page, stack):
    open_demo(page, stack.site.url)
    with page.expect_response(lambda r: r.url.endswith("/__pullcheck__/check")) as checked:
        type_reply(page, "jordan_bakes", ANSWER_REPLY)
    result = checked.value.json()
    assert result["reply_to"]["author"] == "jordan_bakes"  # the proxy knew the parent post
    assert result["verdict"]["level"] == "none"
    page.wait_for_timeout(400)  # a later debounce would have fired by now
    assert page.locator(".panel .finding").count() == 0
    assert not page.locator(".panel").is_visible()


def test_hold_then_send_anyway_delivers_exactly_once(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    send_and_wait_for_hold(page)
    assert received(stack) == []  # held: nothing reached the site
    dialog_text = page.locator(".dialog").inner_text()
    assert "PP201" in dialog_text
    assert "Send anyway" in dialog_text
    shoot(page, "hold-dialog.png")
    page.click(".dialog button.send")
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)
    time.sleep(0.5)
    sent = received(stack)
    assert len(sent) == 1
    assert sent[0]["body"]["variables"]["tweet_text"] == PUSH_REPLY
    assert page.locator(".dialog-backdrop").is_hidden()


def test_hold_then_edit_delivers_nothing_and_keeps_the_draft(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    send_and_wait_for_hold(page)
    page.click(".dialog button.edit")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert page.input_value("#compose") == PUSH_REPLY
    assert page.evaluate("document.activeElement.id") == "compose"  # back to the draft
    time.sleep(0.5)
    assert received(stack) == []


def test_escape_in_the_hold_dialog_means_edit_and_focus_stays_inside(page, stack):
    open_demo(page, stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    send_and_wait_for_hold(page)
    # Focus starts on Edit and Tab cycles inside the dialog.
    focused = "document.querySelector('[data-pullcheck-banner]').shadowRoot.activeElement"
    assert page.evaluate(f"{focused}.className") == "edit"
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate(f"!!{focused} && !!{focused}.closest('.dialog')")
    page.keyboard.press("Escape")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert page.input_value("#compose") == PUSH_REPLY
    assert received(stack) == []


def test_markup_in_a_draft_shows_as_text_and_runs_nothing(page, stack):
    open_demo(page, stack.site.url)
    markup = "<img src=x onerror=alert(1)> Check out my site https://acme.example, 20% off!"
    type_reply(page, "sam_runs", markup)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    send_and_wait_for_hold(page)
    assert page.locator(".dialog .held-text").inner_text() == markup
    assert page.locator(".dialog img, .panel img").count() == 0
    page.click(".dialog button.edit")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert page.dialogs == []
    assert page.errors == []


def test_the_pages_csp_is_kept_and_the_banner_causes_no_violation(page, stack):
    response = open_demo(page, stack.site.url)
    nonce = page.get_attribute("script[src='/static/demo.js']", "nonce") or page.evaluate(
        "document.querySelector(\"script[src='/static/demo.js']\").nonce"
    )
    # The injector reused the page's nonce: the policy arrives exactly as the site sent it.
    assert response.headers["content-security-policy"] == page_csp(nonce)
    type_reply(page, "sam_runs", PUSH_REPLY)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    page.click(".panel details.why summary")
    assert page.evaluate("window.__cspViolations") == []
    assert not [
        m for m in page.console_messages if "Content Security Policy" in m or "Trusted Type" in m
    ]
    assert page.errors == []


def test_another_origin_cannot_read_verdicts_or_decide_a_hold(page, browser, stack):
    open_demo(page, stack.site.url)
    token = page.get_attribute("script[data-pullcheck]", "data-pullcheck-token")
    assert token
    assert token not in page.get_attribute("script[data-pullcheck]", "src")
    type_reply(page, "sam_runs", PUSH_REPLY)
    send_and_wait_for_hold(page)
    site_origin = stack.site.url.rstrip("/")

    other = browser.new_page()
    try:
        other.goto(stack.other_url)
        # Even with the stolen token, the browser's request from another origin is refused.
        outcome = other.evaluate(
            """async ([origin, token]) => {
                 const out = {};
                 for (const name of ["events", "decide"]) {
                   try {
                     const r = await fetch(origin + "/__pullcheck__/" + name, {method: "POST",
                       headers: {"x-pullcheck-token": token, "content-type": "application/json"},
                       body: JSON.stringify({since: 0, wait: 0, hold_id: "x", decision: "send"})});
                     out[name] = r.status;
                   } catch (e) { out[name] = "blocked"; }
                 }
                 return out;
               }""",
            [site_origin, token],
        )
    finally:
        other.close()
    assert outcome == {"events": "blocked", "decide": "blocked"}

    proxy = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{stack.proxy.port}"})
    )
    pending_id = None
    for name, payload in (
        ("events", {"since": 0, "wait": 0}),
        ("decide", {"hold_id": "anything", "decision": "send"}),
    ):
        request = urllib.request.Request(
            f"{site_origin}/__pullcheck__/{name}",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Origin": stack.other_url.rstrip("/"),
                "X-Pullcheck-Token": token,
                "Content-Type": "application/json",
                "Sec-Fetch-Site": "same-site",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            proxy.open(request, timeout=10)
        assert refused.value.code == 403
        assert refused.value.read() == b""
    assert pending_id is None
    # The hold is still there for its own page, which now sends it: exactly once.
    assert received(stack) == []
    page.click(".dialog button.send")
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)
    time.sleep(0.3)
    assert len(received(stack)) == 1


# -- a hold shows its own post and where it came from (issue 11.1) ----------------------------

PITCH_FROM_ELSEWHERE = (
    "Hi Sam! Grab 50% off our growth course today only: https://growth-hacks.example/buy"
    " - DM me now!"
)
POST_FROM_OTHER_ORIGIN = r"""async ([url, text, sandboxed]) => {
  const body = JSON.stringify({variables: {tweet_text: text,
    reply: {in_reply_to_tweet_id: "1790000000000000301", exclude_reply_user_ids: []}},
    features: {}, queryId: "q"});
  // A "simple" request (text/plain, no-cors): no preflight, so it reaches the site as is.
  const send = `fetch(${JSON.stringify(url)}, {method: "POST", mode: "no-cors",
    headers: {"content-type": "text/plain"}, body: ${JSON.stringify(body)}})
    .then(() => { window.__sent = "answered"; }, () => { window.__sent = "failed"; });`;
  if (!sandboxed) { (0, eval)(send); return "sent"; }
  // A sandboxed frame has an opaque origin: the browser sends `Origin: null`.
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.srcdoc = "<script>" + send + "<\/script>";
  document.body.appendChild(frame);
  return "sent";
}"""


def post_from_other_origin(browser, stack, text: str, sandboxed: bool = False):
    other = browser.new_page()
    other.goto(stack.other_url)
    create_tweet = stack.site.url.rstrip("/") + "/i/api/graphql/q/CreateTweet"
    other.evaluate(POST_FROM_OTHER_ORIGIN, [create_tweet, text, sandboxed])
    return other


def test_a_post_from_another_origin_is_held_with_its_own_text_and_where_it_came_from(
    page, browser, stack
):
    open_demo(page, stack.site.url)
    type_reply(page, "jordan_bakes", ANSWER_REPLY)  # the user's own, harmless draft
    other = post_from_other_origin(browser, stack, PITCH_FROM_ELSEWHERE)
    try:
        page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
        dialog = page.locator(".dialog")
        assert page.locator(".dialog .held-text").inner_text() == PITCH_FROM_ELSEWHERE
        assert ANSWER_REPLY not in dialog.inner_text()
        # "Not push" in the dialog would allow the held post's own target, not the tab's draft's.
        assert page.locator(".dialog .notpush").first.get_attribute("title") == (
            "Allow this for @sam_runs"
        )
        other_origin = stack.other_url.rstrip("/")
        assert page.locator(".dialog .foreign").inner_text() == (
            f"This request did not come from this page: from {other_origin}."
        )
        focused = "document.querySelector('[data-pullcheck-banner]').shadowRoot.activeElement"
        assert page.evaluate(f"{focused}.className") == "edit"  # the default is Edit
        assert received(stack) == []
        shoot(page, "hold-dialog-foreign-origin.png")
        page.click(".dialog button.send")
        other.wait_for_function("window.__sent === 'answered'", timeout=WAIT_MS)
        time.sleep(0.5)
        sent = received(stack)
        assert len(sent) == 1
        assert sent[0]["body"]["variables"]["tweet_text"] == PITCH_FROM_ELSEWHERE
        assert page.input_value("#compose") == ANSWER_REPLY  # the page's own draft is untouched
        assert page.locator(".dialog-backdrop").is_hidden()
    finally:
        other.close()


def test_a_post_from_a_sandboxed_frame_says_it_came_from_an_unknown_origin(page, browser, stack):
    open_demo(page, stack.site.url)
    other = post_from_other_origin(browser, stack, PITCH_FROM_ELSEWHERE, sandboxed=True)
    try:
        page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
        assert page.locator(".dialog .foreign").inner_text() == (
            "This request did not come from this page: from an unknown origin."
        )
        assert page.locator(".dialog .held-text").inner_text() == PITCH_FROM_ELSEWHERE
        page.keyboard.press("Escape")  # Edit: nothing is sent
        page.wait_for_selector(".dialog-backdrop", state="hidden", timeout=WAIT_MS)
        frame = other.frames[-1]  # the sandboxed frame's fetch got the site's failure answer
        frame.wait_for_function("window.__sent !== undefined", timeout=WAIT_MS)
        time.sleep(0.3)
        assert received(stack) == []
    finally:
        other.close()


def test_two_tabs_on_one_site_each_show_the_held_posts_own_text(page, stack):
    second = page.context.new_page()
    try:
        open_demo(page, stack.site.url)
        open_demo(second, stack.site.url)
        type_reply(second, "jordan_bakes", ANSWER_REPLY)  # tab 2 has a harmless draft
        type_reply(page, "sam_runs", PUSH_REPLY)
        send_and_wait_for_hold(page)
        second.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
        assert page.locator(".dialog .held-text").inner_text() == PUSH_REPLY
        assert second.locator(".dialog .held-text").inner_text() == PUSH_REPLY
        assert second.locator(".dialog .held-target").inner_text() == "Reply to @sam_runs"
        page.click(".dialog button.edit")
        page.wait_for_selector("#status.error", timeout=WAIT_MS)
        second.wait_for_selector(".dialog-backdrop", state="hidden", timeout=WAIT_MS)
        assert received(stack) == []
    finally:
        second.close()


def test_when_the_held_client_goes_away_the_dialog_says_nothing_was_sent(page, browser, stack):
    open_demo(page, stack.site.url)
    other = post_from_other_origin(browser, stack, PITCH_FROM_ELSEWHERE)
    page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
    other.close()  # its pending request is cancelled: the proxy's client connection closes
    page.wait_for_selector(".dialog .ended", state="visible", timeout=WAIT_MS)
    assert page.locator(".dialog .ended").inner_text() == (
        "The client disconnected; nothing was sent."
    )
    assert page.locator(".dialog button.send").count() == 0
    shoot(page, "hold-dialog-client-gone.png")
    page.click(".dialog button.close")
    assert page.locator(".dialog-backdrop").is_hidden()
    assert received(stack) == []


def test_a_mastodon_direct_message_pitch_is_flagged_and_held(page, stack):
    open_demo(page, stack.site.url)
    page.select_option("#platform", "mastodon")
    page.select_option("#visibility", "direct")
    dm = (
        "@sam@social.example Thanks for following! Check out my site "
        "https://acme-webworks.example - first consultation free."
    )
    with page.expect_response(lambda r: r.url.endswith("/__pullcheck__/check")) as checked:
        page.locator("#compose").press_sequentially(dm, delay=0)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    result = checked.value.json()
    assert result["platform"] == "mastodon"
    assert result["kind"] == "dm"
    send_and_wait_for_hold(page)  # the proxy read /api/v1/statuses with visibility direct
    assert received(stack) == []
    page.click(".dialog button.edit")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert page.input_value("#compose") == dm
    assert received(stack) == []


def test_the_banner_follows_a_dark_page(browser, stack):
    context = browser.new_context(viewport={"width": 1200, "height": 760}, color_scheme="dark")
    try:
        page = context.new_page()
        open_demo(page, stack.site.url)
        type_reply(page, "sam_runs", PUSH_REPLY)
        page.wait_for_selector(".panel.dark .finding", state="visible", timeout=WAIT_MS)
        background = page.evaluate(
            "getComputedStyle(document.querySelector('[data-pullcheck-banner]')"
            ".shadowRoot.querySelector('.panel')).backgroundColor"
        )
        assert background == "rgb(28, 33, 40)"
        shoot(page, "banner-dark.png")
    finally:
        context.close()


@pytest.fixture(scope="module")
def warn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A second proxy in warn mode (its own site, config and "Not push" file)."""
    folder = tmp_path_factory.mktemp("banner-e2e-warn")
    site = DemoServer().start()
    config = write_config(folder, site.port, mode="warn")
    proxy = ProxyProcess(folder, config)
    try:
        proxy.wait_active()
        yield SimpleNamespace(site=site, proxy=proxy, folder=folder)
    finally:
        proxy.stop()
        site.stop()


@pytest.fixture(scope="module")
def warn_browser(playwright, warn_stack) -> Iterator[object]:
    browser = launch_chromium(playwright, warn_stack.proxy.port)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def warn_page(warn_browser) -> Iterator[object]:
    context = warn_browser.new_context(viewport={"width": 1200, "height": 760})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_warn_mode_sends_and_the_banner_shows_what_was_said_about_the_sent_post(
    warn_page, warn_stack
):
    page = warn_page
    open_demo(page, warn_stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    page.click("#send")
    page.wait_for_selector("#status.ok", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelector('[data-pullcheck-banner]').shadowRoot"
        ".querySelector('.summary').textContent.startsWith('Sent')",
        timeout=WAIT_MS,
    )
    assert "PP201" in finding_codes(page)
    assert len(warn_stack.site.received.all()) == 1
    assert page.locator(".dialog-backdrop").is_hidden()


def test_not_push_allowlists_the_recipient_and_the_banner_clears(warn_page, warn_stack):
    page = warn_page
    open_demo(page, warn_stack.site.url)
    type_reply(page, "sam_runs", PUSH_REPLY)
    page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
    first = page.locator(".panel .finding").first
    assert first.locator(".code").inner_text() == "PP201"
    first.locator("button.notpush").click()
    page.wait_for_selector(".panel button.notpush:has-text('Marked not push')", timeout=WAIT_MS)
    entries = (warn_stack.folder / "notpush.yaml").read_text()
    assert "recipient: sam_runs" in entries
    assert "code: PP201" in entries
    assert PUSH_REPLY not in entries  # the draft's text is never written
    # The proxy reloads its config (the "Not push" file is one of its sources) and the banner
    # checks again: push rules no longer fire for this recipient.
    page.wait_for_selector(".panel", state="hidden", timeout=WAIT_MS)


def test_the_banner_never_covers_the_sites_send_button_in_a_narrow_window(browser, stack):
    context = browser.new_context(viewport={"width": 640, "height": 700})
    try:
        page = context.new_page()
        open_demo(page, stack.site.url)
        type_reply(page, "sam_runs", PUSH_REPLY)
        page.wait_for_selector(".panel .finding", state="visible", timeout=WAIT_MS)
        panel = page.locator(".panel").bounding_box()
        send = page.locator("#send").bounding_box()
        overlap_x = (
            panel["x"] < send["x"] + send["width"] and send["x"] < panel["x"] + panel["width"]
        )
        overlap_y = (
            panel["y"] < send["y"] + send["height"] and send["y"] < panel["y"] + panel["height"]
        )
        assert not (overlap_x and overlap_y), (panel, send)
        box = page.locator("#compose").bounding_box()
        covers_box = (
            panel["x"] < box["x"] + box["width"]
            and box["x"] < panel["x"] + panel["width"]
            and panel["y"] < box["y"] + box["height"]
            and box["y"] < panel["y"] + panel["height"]
        )
        assert not covers_box, (panel, box)
        shoot(page, "banner-narrow.png")
        page.click("#send")  # and the button is really clickable: the post is held
        page.wait_for_selector(".dialog-backdrop .dialog", state="visible", timeout=WAIT_MS)
        shoot(page, "banner-narrow-hold.png")
        page.click(".dialog button.edit")
        page.wait_for_selector("#status.error", timeout=WAIT_MS)
    finally:
        context.close()
