"""The banner's two budgets (issue 4), printed as medians and p95:

1. injection cost for a 1 MB HTML page (budget: <= 2 ms added): `inject_banner` on a fresh
   response each round, with no CSP, with a strict nonce + 'strict-dynamic' policy (nonce reuse),
   and the worst case, a page with no `</head>` (the whole body is scanned);
2. live-check round trip banner -> proxy -> banner on loopback (budget: p95 <= 15 ms): the demo
   site behind a real mitmproxy with the add-on; POST /__pullcheck__/check with the page token,
   timed (a) from a Python keep-alive client through the proxy and (b) inside headless Chromium
   with performance.now() around fetch() (skipped without /usr/bin/chromium). For comparison
   (not the budget): the same fetch() from Chromium straight to a local http.server (the
   browser's own floor) and through plain mitmdump without the add-on (mitmproxy's own cost),
   and whether Chromium reused its proxy connection for every check (Resource Timing).

Run: python benchmarks/banner.py [--rounds 300]
The machine is shared while others work: figures are noisy; quote them with that caveat.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

from mitmproxy.test import tflow, tutils
from pullcheck.demo.site import DemoServer
from pullcheck.demo.stack import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PUSH_REPLY,
    ProxyProcess,
    free_port,
    launch_chromium,
    mitmdump_command,
    open_demo,
    write_config,
)
from pullcheck.proxy.inject import inject_banner
from pullcheck.proxy.pages import PageTokens

MB = 1024 * 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page_of_1mb(with_head_close: bool = True) -> bytes:
    head = (
        b"<!doctype html><html lang=en><head><meta charset=utf-8>"
        b"<title>A big page</title><link rel=stylesheet href=/a.css>"
        b"<script nonce=PAGE src=/app.js></script>"
    )
    head += b"</head>" if with_head_close else b""
    row = (
        b"<div class=post><p>Caf\xc3\xa9 post text with <a href=/x>a link</a> and more.</p></div>\n"
    )
    body = b"<body>" + row * ((MB - len(head)) // len(row) + 1)
    return (head + body)[:MB] + b"</body></html>"


def page_with_big_script() -> bytes:
    """A head whose inline script (half the page) writes markup: the walk skips its text."""
    script = b"<script>" + b"document.write('<p>x</p></head><body>');\n" * 12_000 + b"</script>"
    page = page_of_1mb()
    at = page.index(b"</head>")
    return (page[:at] + script + page[at:])[: MB + len(script) // 2] + b"</body></html>"


def response_flow(body: bytes, csp: bytes | None):
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    if csp:
        headers.append((b"content-security-policy", csp))
    response = tutils.tresp(content=b"", headers=headers)
    response.raw_content = body
    flow = tflow.tflow(resp=response)
    flow.request.scheme, flow.request.host, flow.request.port = "https", "x.com", 443
    flow.request.method, flow.request.path = "GET", "/home"
    return flow


def bench_injection(rounds: int) -> None:
    state = SimpleNamespace(pages=PageTokens())
    cases = [
        ("1 MB page, no CSP", page_of_1mb(), None),
        (
            "1 MB page, nonce + strict-dynamic (nonce reused)",
            page_of_1mb(),
            b"script-src 'nonce-PAGE' 'strict-dynamic'; object-src 'none'",
        ),
        ("1 MB page without </head> (head walked to <body)", page_of_1mb(False), None),
        ("1 MB page, 500 KB inline script with '</head>' in it", page_with_big_script(), None),
    ]
    print("injection (inject_banner on a fresh response per round)")
    for label, body, csp in cases:
        times = []
        for _ in range(rounds):
            # One response at a time, dropped after use, as in the proxy (keeping hundreds of
            # 1 MB bodies alive would time the allocator's page faults instead).
            flow = response_flow(body, csp)
            started = time.perf_counter()
            inject_banner(flow, state)
            times.append((time.perf_counter() - started) * 1000)
            assert b"/__pullcheck__/banner.js" in flow.response.raw_content
            del flow
        print(
            f"  {label:52s} median {statistics.median(times):.3f} ms   "
            f"p95 {percentile(times, 0.95):.3f} ms   (budget 2 ms)"
        )


def bench_round_trip(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pullcheck-bench-"))
    site = DemoServer().start()
    config = write_config(folder, site.port, mode="warn")
    proxy = ProxyProcess(folder, config)
    try:
        proxy.wait_active()
        python_client(site, proxy, rounds)
        if Path(CHROMIUM).exists():
            browser_client(site, proxy, rounds)
            browser_floor(folder, rounds)
        else:
            print(f"  browser: skipped ({CHROMIUM} not installed)")
    finally:
        proxy.stop()
        site.stop()


def python_client(site: DemoServer, proxy: ProxyProcess, rounds: int) -> None:
    origin = f"http://127.0.0.1:{site.port}"
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)

    def request(method: str, path: str, body: bytes | None = None, **headers: str) -> bytes:
        connection.request(method, origin + path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return data

    page = request("GET", "/").decode()
    token = re.search(r'data-pullcheck-token="([\w-]+)"', page).group(1)  # type: ignore[union-attr]
    # The timeline goes through the proxy, so the reply's parent is known (as in the browser).
    request("POST", "/i/api/graphql/q/HomeTimeline", b"{}", **{"Content-Type": "application/json"})
    draft = json.dumps(
        {"text": PUSH_REPLY, "kind": "reply", "platform": "x", "reply_to_id": "1790000000000000301"}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Origin": origin,
        "Sec-Fetch-Site": "same-origin",
        "X-Pullcheck-Token": token,
    }
    times, server = [], []
    for index in range(rounds + 20):
        started = time.perf_counter()
        body = request("POST", "/__pullcheck__/check", draft, **headers)
        elapsed = (time.perf_counter() - started) * 1000
        if index >= 20:  # warm-up: first engine runs, connection set-up
            times.append(elapsed)
            server.append(json.loads(body)["ms"])
    verdict = json.loads(body)["verdict"]
    assert verdict["level"] != "none", verdict
    connection.close()
    print("live check round trip (POST /__pullcheck__/check through mitmproxy + add-on)")
    print(
        f"  python keep-alive client: median {statistics.median(times):.2f} ms   "
        f"p95 {percentile(times, 0.95):.2f} ms   (budget p95 15 ms; "
        f"of which engine+endpoint median {statistics.median(server):.2f} ms)"
    )


def browser_client(site: DemoServer, proxy: ProxyProcess, rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, proxy.port)
        try:
            page = browser.new_page()
            open_demo(page, site.url)
            times, static, network, connected, protocols = page.evaluate(
                """async ([rounds, text]) => {
                     const script = document.querySelector("script[data-pullcheck]");
                     const token = new URL(script.src).searchParams.get("t");
                     const body = JSON.stringify({text, kind: "reply", platform: "x",
                                                  reply_to_id: "1790000000000000301"});
                     const headers = {"content-type": "application/json",
                                      "x-pullcheck-token": token};
                     async function timed(call, count) {
                       const out = [];
                       for (let i = 0; i < count; i++) {
                         const t0 = performance.now();
                         await call();
                         out.push(performance.now() - t0);
                       }
                       return out;
                     }
                     // Resource Timing splits each check into the network part (request
                     // start to response end) and the browser's own part.
                     performance.setResourceTimingBufferSize(100000);
                     const network = [];
                     let serial = 0, connected = 0, protocols = new Set();
                     const check = async () => {
                       const url = "/__pullcheck__/check?n=" + serial++;
                       const r = await fetch(url, {method: "POST", body, headers});
                       await r.json();
                       const entry = performance.getEntriesByName(location.origin + url).pop();
                       if (entry) {
                         network.push(entry.responseEnd - entry.requestStart);
                         // A new connection to the proxy shows as connectEnd > connectStart.
                         if (serial > 20 && entry.connectEnd > entry.connectStart) connected++;
                         protocols.add(entry.nextHopProtocol);
                       }
                     };
                     const css = () => fetch("/__pullcheck__/banner.css",
                       {cache: "no-store"}).then(r => r.text());
                     await timed(check, 20);  // warm-up
                     await timed(css, 20);
                     // Alternate blocks of the two, so both see the same machine conditions.
                     const checks = [], statics = [];
                     const block = Math.max(Math.floor(rounds / 4), 10);
                     for (let i = 0; i < 4; i++) {
                       checks.push(...await timed(check, block));
                       statics.push(...await timed(css, block));
                     }
                     return [checks, statics, network.slice(20), connected, [...protocols]];
                   }""",
                [rounds, PUSH_REPLY],
            )
        finally:
            browser.close()
    print(
        f"  Chromium fetch():         median {statistics.median(times):.2f} ms   "
        f"p95 {percentile(times, 0.95):.2f} ms   (budget p95 15 ms)"
    )
    print(
        "    of which request start to response end (Resource Timing): "
        f"median {statistics.median(network):.2f} ms   p95 {percentile(network, 0.95):.2f} ms"
    )
    print(
        f"    new connections to the proxy during the timed checks: {connected} of {len(times)} "
        f"({'/'.join(protocols)})"
    )
    print(
        "  for comparison, Chromium fetching the static banner.css from the same proxy: "
        f"median {statistics.median(static):.2f} ms   p95 {percentile(static, 0.95):.2f} ms"
    )


class _Ping(BaseHTTPRequestHandler):
    """A trivial keep-alive origin: a tiny page and a tiny JSON answer to any POST."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every answer waits on delayed ACKs (~40 ms)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(b"<!doctype html><title>floor</title>", "text/html")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self._send(b'{"ok":true}', "application/json")

    def log_message(self, *args: object) -> None:
        pass


_FLOOR_JS = """async ([rounds, text]) => {
  const body = JSON.stringify({text, kind: "reply", platform: "x",
                               reply_to_id: "1790000000000000301"});
  const headers = {"content-type": "application/json", "x-pullcheck-token": "t"};
  const out = [];
  for (let i = 0; i < rounds + 20; i++) {
    const t0 = performance.now();
    const r = await fetch("/ping?n=" + i, {method: "POST", body, headers});
    await r.text();
    if (i >= 20) out.push(performance.now() - t0);
  }
  return out;
}"""


def browser_floor(folder: Path, rounds: int) -> None:
    """The same POST fetch() from Chromium to a trivial local http.server, straight and through
    plain mitmdump (no add-on): what the browser and mitmproxy cost before pullcheck does
    anything. Comparison rows only; the budget row above is unchanged."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    port = free_port()
    plain = subprocess.Popen(
        [
            *mitmdump_command(),
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "--set",
            f"confdir={folder / 'plain-mitmproxy'}",
            "--set",
            "flow_detail=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as playwright:
            rows = []
            for label, proxy_port in (("straight, no proxy", None), ("via plain mitmdump", port)):
                if proxy_port is None:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                else:
                    _wait_listening(proxy_port, plain)
                    browser = launch_chromium(playwright, proxy_port)
                try:
                    page = browser.new_page()
                    page.goto(url)
                    rows.append((label, page.evaluate(_FLOOR_JS, [rounds, PUSH_REPLY])))
                finally:
                    browser.close()
    finally:
        plain.terminate()
        try:
            plain.wait(timeout=10)
        except subprocess.TimeoutExpired:
            plain.kill()
            plain.wait(timeout=5)
        server.shutdown()
        server.server_close()
    for label, times in rows:
        print(
            f"  for comparison, Chromium POST fetch() to a trivial http.server, {label}: "
            f"median {statistics.median(times):.2f} ms   p95 {percentile(times, 0.95):.2f} ms"
        )


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("plain mitmdump exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("plain mitmdump did not start listening")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    bench_injection(args.rounds)
    bench_round_trip(args.rounds)
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
