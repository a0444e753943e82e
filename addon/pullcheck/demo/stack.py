"""The demo's moving parts on loopback: the demo site, a real mitmproxy (`mitmdump`) with the
pullcheck add-on in front of it, and headless Chromium pointed at that proxy.

Used by `pullcheck demo` and by the browser tests. Everything the proxy writes (its CA in
`confdir`, the sent log, the config, the "Not push" file) goes into one folder the caller owns,
never into the user's home.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import yaml

CHROMIUM = "/usr/bin/chromium"
# Chromium skips proxies for loopback unless told otherwise; the rest keeps it from calling home
# (this machine's network is closed, and every refused connection is noise and delay).
CHROMIUM_ARGS = [
    "--proxy-bypass-list=<-loopback>",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PUSH_REPLY = (
    "Hi Sam! We build fast, affordable websites for small businesses. Check out my site "
    "https://acme-webworks.example/pricing and DM me for 20% off this week!"
)
ANSWER_REPLY = (
    "Hi Jordan! I'm a web designer in Leeds and I've built sites for two bakeries. Happy to "
    "share examples of my work: https://acme-webworks.example/portfolio"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    folder: Path,
    site_port: int,
    mode: str = "hold",
    hold_timeout_s: int = 120,
) -> Path:
    """A pullcheck config that watches the demo site as X and as Mastodon."""
    host = f"127.0.0.1:{site_port}"
    config = {
        "mode": mode,
        "hold_at": "warning",
        "hold_timeout_s": hold_timeout_s,
        "sites": {
            "x": {"hosts": [host]},
            "mastodon": {"hosts": [host]},
        },
        "notpush_file": str(folder / "notpush.yaml"),
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def mitmdump_command() -> list[str]:
    """mitmdump of this Python, never the first one on PATH: another installation's mitmdump
    imports that installation's pullcheck (tried: a pyenv shim ran another checkout's add-on)."""
    sibling = Path(sys.executable).parent / "mitmdump"
    if sibling.exists():
        return [str(sibling)]
    return [sys.executable, "-c", "from mitmproxy.tools.main import mitmdump; mitmdump()"]


class ProxyProcess:
    """`mitmdump -s <pullcheck add-on>` on 127.0.0.1, started and stopped by its owner."""

    def __init__(
        self, folder: Path, config: Path, port: int | None = None, mode: str | None = None
    ) -> None:
        # Lazy for start-up speed: `pullcheck demo` reads CHROMIUM here without loading mitmproxy.
        from pullcheck.proxy import addon

        self.folder = folder
        self.port = port or free_port()
        self.log: deque[str] = deque(maxlen=2000)
        command = [
            *mitmdump_command(),
            "-s",
            addon.__file__,
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(self.port),
            "--set",
            f"confdir={folder / 'mitmproxy'}",
            "--set",
            f"pullcheck_config={config}",
            "--set",
            f"pullcheck_data_dir={folder / 'data'}",
            "--set",
            "flow_detail=0",
        ]
        if mode:
            command += ["--set", f"pullcheck_mode={mode}"]
        env = {
            **os.environ,
            "PULLCHECK_DATA_DIR": str(folder / "data"),
            "XDG_CONFIG_HOME": str(folder / "xdg-config"),
            "XDG_DATA_HOME": str(folder / "xdg-data"),
        }
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    def wait_active(self, timeout_s: float = 45.0) -> None:
        """Until the proxy listens and the add-on says it is active (a skipped `-s` script is
        silent otherwise: mitmproxy issue #8013)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("mitmdump exited:\n" + "\n".join(self.log))
            if any("pullcheck active" in line for line in list(self.log)):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("the pullcheck proxy did not become active:\n" + "\n".join(self.log))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=2)


def launch_chromium(playwright: Any, proxy_port: int, headless: bool = True) -> Any:
    """Debian's Chromium through the proxy (never `playwright install`)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=headless,
        proxy={"server": f"http://127.0.0.1:{proxy_port}"},
        args=CHROMIUM_ARGS,
    )


def open_demo(page: Any, site_url: str, timeout_ms: int = 30_000) -> Any:
    """Load the demo page and wait for its timelines (which the proxy harvests) and the banner.
    Returns the page's response."""
    response = page.goto(site_url, wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_selector("html[data-timelines=loaded]", timeout=timeout_ms)
    page.wait_for_selector(
        "[data-pullcheck-banner][data-ready]", state="attached", timeout=timeout_ms
    )
    return response


def type_reply(page: Any, handle: str, text: str) -> None:
    page.click(f"button[aria-label='Reply to @{handle}']")
    page.locator("#compose").press_sequentially(text, delay=0)


def screenshot_banner(proxy_port: int, site_url: str, path: Path) -> None:
    """Type a push reply on the demo page through the proxy and save a picture of the banner."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, proxy_port)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            open_demo(page, site_url)
            type_reply(page, "sam_runs", PUSH_REPLY)
            page.wait_for_selector(".panel .finding", timeout=30_000)
            # The first finding's reasoning open, as a reader would: the panel shows it whole.
            page.locator(".panel .finding details.why summary").first.click()
            page.wait_for_timeout(200)
            page.screenshot(path=str(path))
        finally:
            browser.close()
