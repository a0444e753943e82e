"""Injection in a real browser: Debian's Chromium (Playwright) through a real mitmproxy with the
add-on, in front of a local site configured as a Mastodon instance.

A page's own inline head script must still run when it holds the text `</head>`, with the
banner loaded beside it; a page whose `<meta>` CSP allows no script gets nothing injected and
arrives byte for byte as the site sent it.
"""

from __future__ import annotations

import pytest
from chromium_marks import NEEDS_CHROMIUM
from proxy_harness import RunningProxy, Upstream
from pullcheck.demo.stack import launch_chromium

pytestmark = [
    NEEDS_CHROMIUM,
    pytest.mark.timeout(180),
]
sync_api = pytest.importorskip("playwright.sync_api")

HTML = {"content-type": "text/html; charset=utf-8"}
OWN_SCRIPT_PAGE = (
    b"<!doctype html><html><head><meta charset=utf-8><title>own script</title>"
    b"<script>var shell = '</head><body>';"
    b" document.documentElement.setAttribute('data-own-script', 'ran');</script>"
    b"</head><body><p>A page whose head script writes markup.</p>"
    b"<textarea aria-label=compose></textarea></body></html>"
)
META_NONE_PAGE = (
    b"<!doctype html><html><head><meta charset=utf-8>"
    b'<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
    b"<title>no script</title></head><body><p>No script allowed here.</p></body></html>"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inject-browser")
    site = Upstream(
        routes={
            ("GET", "/own-script"): (200, HTML, OWN_SCRIPT_PAGE),
            ("GET", "/meta-none"): (200, HTML, META_NONE_PAGE),
        }
    )
    config = folder / "config.yaml"
    config.write_text(f"mode: warn\nsites:\n  mastodon: {{hosts: ['{site.address}']}}\n")
    proxy = RunningProxy(
        pullcheck_config=str(config),
        pullcheck_data_dir=str(folder / "data"),
        confdir=str(folder / "mitmproxy"),
    ).start()
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright, proxy.port)
        try:
            yield site, browser
        finally:
            browser.close()
            proxy.stop()
            site.close()


def test_a_head_script_holding_a_head_close_still_runs_and_the_banner_loads(stack):
    site, browser = stack
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://{site.address}/own-script", wait_until="domcontentloaded")
    page.wait_for_selector("[data-pullcheck-banner][data-ready]", state="attached", timeout=30_000)
    assert page.get_attribute("html", "data-own-script") == "ran"
    assert errors == []
    page.close()


def test_a_page_whose_meta_csp_allows_no_script_gets_nothing_and_arrives_intact(stack):
    site, browser = stack
    page = browser.new_page()
    response = page.goto(f"http://{site.address}/meta-none", wait_until="load")
    assert response.body() == META_NONE_PAGE
    page.wait_for_timeout(500)  # time for a banner script to have loaded, were there one
    assert page.locator("[data-pullcheck-banner], script[data-pullcheck]").count() == 0
    page.close()
