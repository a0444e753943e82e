"""Can a hostile website stall everyone else's traffic through the proxy? All on 127.0.0.1.

Any page can POST to its own host, and pullcheck recognises Mastodon's `/api/v1/statuses` on any
host. Here a local "hostile site" (not in the config) receives, through mitmdump with the add-on
(warn mode), back to back from two attackers:
  - compression bombs: 1 GiB of zeros as brotli, gzip and zstd (a few hundred bytes to 1 MB);
  - 4 MB bodies: a post of 4 MB of text, 4 MB of small JSON keys, and a 4 MB post of digits
    and dots (costly text for the phrase and link scanners);
while a client fetches a small file from an unrelated local site through the same proxy, one
request at a time on a keep-alive connection. Quiet and attack periods alternate (`--rounds`);
the latencies of the unrelated requests are pooled per kind of period.

Printed: p50, p99 and max of unrelated requests, quiet and under attack, the p99 difference
(budget: within 50 ms), the attack requests sent, and the proxy's peak RSS (VmHWM).

Usage: python benchmarks/stall.py [--rounds 3] [--seconds 4]
Exit 0 when the p99 under attack is within 50 ms of the quiet p99, 1 otherwise. The machine
is shared: quote the load average with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import zstandard

ADDON = Path(__file__).resolve().parents[1] / "addon" / "pullcheck" / "proxy" / "addon.py"
STATUSES = "/api/v1/statuses"
BUDGET_MS = 50.0
BOMB_BYTES = 1 << 30
CHUNK = 16 << 20
FOUR_MB = 4 * 1000 * 1000


# -- the sites (their own process, so they never compete for our interpreter lock) ----------


def serve(ports: multiprocessing.Queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(b"x" * 2048, "application/octet-stream")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(b'{"id":"1"}', "application/json")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    servers = [Server(("127.0.0.1", 0), Handler) for _ in range(2)]  # unrelated, hostile
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put([s.server_address[1] for s in servers])
    threading.Event().wait()


# -- what the hostile site sends ----------------------------------------------------------------


def bombs() -> dict[str, tuple[bytes, str]]:
    """1 GiB of zeros (JSON whitespace would do as well), compressed in pieces."""
    zeros = b"\0" * CHUNK
    pieces = BOMB_BYTES // CHUNK
    br = brotli.Compressor(quality=5)
    br_out = b"".join(br.process(zeros) for _ in range(pieces)) + br.finish()
    gz = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    gz_out = b"".join(gz.compress(zeros) for _ in range(pieces)) + gz.flush()
    zs = zstandard.ZstdCompressor().compressobj()
    zs_out = b"".join(zs.compress(zeros) for _ in range(pieces)) + zs.flush()
    return {
        "brotli bomb": (br_out, "br"),
        "gzip bomb": (gz_out, "gzip"),
        "zstd bomb": (zs_out, "zstd"),
    }


def big_bodies() -> dict[str, tuple[bytes, str]]:
    """Valid JSON just under the 4 MiB default `pullcheck_max_body`, so each one is read."""
    text = json.dumps({"status": "Buy now! " + "a" * (FOUR_MB - 30)}).encode()
    keys = ("{" + ",".join(f'"k{i}":0' for i in range(FOUR_MB // 10)) + "}").encode()
    dots = json.dumps({"status": "1." * (FOUR_MB // 2 - 10)}).encode()
    return {
        "4 MB post": (text, ""),
        "4 MB of JSON keys": (keys, ""),
        "4 MB post of digits and dots": (dots, ""),
    }


# -- the proxy ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_proxy(port: int, work: Path, plain: bool, addon: Path) -> subprocess.Popen[bytes]:
    config = work / "config.yaml"
    config.write_text("mode: warn\n")  # default sites: Mastodon's paths match on any host
    cmd = [
        "mitmdump",
        "-q",
        "--listen-host",
        "127.0.0.1",
        "-p",
        str(port),
        "--set",
        f"confdir={work / 'mitmproxy'}",
    ]
    if not plain:
        cmd += [
            "-s",
            str(addon),
            "--set",
            f"pullcheck_config={config}",
            "--set",
            f"pullcheck_data_dir={work / 'data'}",
        ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mitmdump exited: {process.stdout.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("mitmdump did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- clients ------------------------------------------------------------------------------------


def unrelated(proxy: int, site: int, seconds: float) -> list[float]:
    """Latencies (ms) of sequential small GETs to the unrelated site, keep-alive."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=60)
    latencies: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        conn.request("GET", f"http://127.0.0.1:{site}/file")
        conn.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.002)  # ~ a browser's trickle of requests, not a flood
    conn.close()
    return latencies


def attack(
    proxy: int,
    host: int,
    payloads: list[tuple[bytes, str]],
    stop: threading.Event,
    sent: list[int],
    offset: int,
) -> None:
    index = offset
    while not stop.is_set():
        body, encoding = payloads[index % len(payloads)]
        index += 1
        headers = {"content-type": "application/json", "origin": f"http://127.0.0.1:{host}"}
        if encoding:
            headers["content-encoding"] = encoding
        conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=120)
        try:
            conn.request("POST", f"http://127.0.0.1:{host}{STATUSES}", body, headers)
            conn.getresponse().read()
            sent.append(len(body))
        finally:
            conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain mitmdump without the add-on: mitmproxy's own share",
    )
    parser.add_argument(
        "--addon",
        type=Path,
        default=ADDON,
        help="the add-on script to load (another checkout, to compare)",
    )
    args = parser.parse_args()

    print("preparing payloads ...", file=sys.stderr)
    payloads = {**bombs(), **big_bodies()}
    for name, (body, encoding) in payloads.items():
        print(
            f"  {name}: {len(body):,} bytes{f' ({encoding})' if encoding else ''}", file=sys.stderr
        )

    ports: multiprocessing.Queue = multiprocessing.Queue()
    sites = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    sites.start()
    site, hostile = ports.get(timeout=10)
    proxy_port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        proxy = start_proxy(proxy_port, Path(folder), args.plain, args.addon)
        try:
            unrelated(proxy_port, site, 1.0)  # warm-up
            quiet: list[float] = []
            loud: list[float] = []
            sent: list[int] = []
            for _ in range(args.rounds):
                quiet += unrelated(proxy_port, site, args.seconds)
                stop = threading.Event()
                attackers = [
                    threading.Thread(
                        target=attack,
                        daemon=True,
                        args=(proxy_port, hostile, list(payloads.values()), stop, sent, offset),
                    )
                    for offset in (0, 3)
                ]
                for thread in attackers:
                    thread.start()
                loud += unrelated(proxy_port, site, args.seconds)
                stop.set()
                for thread in attackers:
                    thread.join(120)
            peak = peak_rss_mb(proxy.pid)
        finally:
            proxy.terminate()
            proxy.wait(15)
    sites.terminate()

    load = os.getloadavg()[0]
    what = "plain mitmdump" if args.plain else "mitmdump with the add-on"
    print(
        f"unrelated requests through {what} ({args.rounds} rounds of {args.seconds:g} s "
        f"each; load average {load:.1f}):"
    )
    print(f"{'':14}{'requests':>9}{'p50':>12}{'p99':>12}{'max':>12}")
    for name, values in (("quiet", quiet), ("under attack", loud)):
        print(
            f"{name:14}{len(values):>9}{statistics.median(values):>10.2f}ms"
            f"{percentile(values, 0.99):>10.2f}ms{max(values):>10.2f}ms"
        )
    difference = percentile(loud, 0.99) - percentile(quiet, 0.99)
    print(f"p99 under attack - p99 quiet: {difference:+.2f} ms (budget: within {BUDGET_MS:g} ms)")
    print(
        f"attack requests completed: {len(sent)} ({sum(sent) / 1e6:.0f} MB sent); "
        f"proxy peak RSS {peak:.0f} MB"
    )
    return 0 if difference <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
