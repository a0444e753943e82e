"""A banner whose page the proxy no longer knows (pullcheck restarted) says so instead of going
quiet: Debian's Chromium through a real mitmproxy, restarted on the same port under the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium_marks import ARTIFACTS, NEEDS_CHROMIUM
from pullcheck.demo.site import DemoServer
from pullcheck.demo.stack import (
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


def test_after_a_proxy_restart_the_banner_asks_for_a_reload_and_a_reload_brings_checks_back(
    tmp_path: Path,
) -> None:
    site = DemoServer().start()
    config = write_config(tmp_path, site.port, mode="warn")
    proxy = ProxyProcess(tmp_path, config)
    try:
        proxy.wait_active()
        with sync_api.sync_playwright() as playwright:
            browser = launch_chromium(playwright, proxy.port)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 760})
                open_demo(page, site.url)
                notice = page.locator(".panel .notice")
                assert notice.is_hidden()

                proxy.stop()
                proxy = ProxyProcess(tmp_path, config, port=proxy.port)
                proxy.wait_active()
                # The banner's events poll retries, meets the new proxy, and learns its token
                # is unknown there.
                notice.wait_for(state="visible", timeout=60_000)
                assert "reload the page" in notice.text_content()
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "banner-lost-touch.png"))

                open_demo(page, site.url)
                assert notice.is_hidden()
                type_reply(page, "sam_runs", PUSH_REPLY)
                page.locator(".panel .finding").first.wait_for(state="visible", timeout=15_000)
            finally:
                browser.close()
    finally:
        proxy.stop()
        site.stop()
