"""What the pullcheck add-on costs a proxy, measured side by side, all on 127.0.0.1.

Two mitmdump processes run at once in front of the same fake upstream (a separate process with
two ports: one configured as the X and Mastodon sites, one "non-social"):
  plain   mitmdump
  addon   mitmdump -s pullcheck/proxy/addon.py (warn mode, its own data dir)

Figures (budgets from the design):
  1. throughput for non-social requests, add-on / plain, both loaded at once, median of
     the per-round ratios                                                                >= 0.95
  2. compose request (X CreateTweet reply, judged + logged) latency, p95 added           <= 2 ms
  3. 200 concurrent connections through the add-on proxy, errors                        == 0
  4. add-on proxy RSS after harvesting 100,000 posts (Mastodon timelines), above baseline
                                                                                        <= 100 MB
Usage: python benchmarks/proxy.py [--rounds 21] [--seconds 2] [--quick]
Exit 0 when every figure is within budget, 1 otherwise. The machine is shared: quote medians.
"""

from __future__ import annotations

import argparse
import asyncio
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ADDON = Path(__file__).resolve().parents[1] / "addon" / "pullcheck" / "proxy" / "addon.py"
CREATE_TWEET = "/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/CreateTweet"
TIMELINE = "/api/v1/timelines/home"
POSTS_PER_PAGE = 100
PAYLOAD = os.urandom(2048)


def reply_body(n: int) -> bytes:
    return json.dumps(
        {
            "variables": {
                "tweet_text": f"Hi there #{n}! We build fast, affordable websites for bakeries. "
                "See https://acme-webworks.example/pricing and DM me for 20% off this week!",
                "reply": {"in_reply_to_tweet_id": f"17900000000{n:08d}"},
            },
            "queryId": "SiM_cAu83R0wnrpmKQQSEw",
        }
    ).encode()


# -- the fake upstream (its own process, so it never competes for our GIL) --------------------


def timeline_page(page: int) -> bytes:
    statuses = []
    for i in range(POSTS_PER_PAGE):
        n = page * POSTS_PER_PAGE + i
        statuses.append(
            {
                "id": str(110_000_000_000_000_000 + n),
                "in_reply_to_id": None,
                "content": f"<p>Post number {n}: does anyone know a good bakery near the station? "
                f"Asking for a friend who moved here last week ({n}).</p>",
                "account": {
                    "id": str(n % 5000),
                    "username": f"user{n % 5000}",
                    "acct": f"user{n % 5000}@bakers.example",
                },
                "visibility": "public",
                "mentions": [],
            }
        )
    return json.dumps(statuses).encode()


def serve_upstream(ports: multiprocessing.Queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith(TIMELINE):
                page = int(self.path.rsplit("page=", 1)[-1]) if "page=" in self.path else 0
                self._answer(200, timeline_page(page), "application/json; charset=utf-8")
            else:
                self._answer(200, PAYLOAD, "application/octet-stream")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._answer(200, b'{"data":{}}', "application/json")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # listen() runs in the constructor: the backlog must be set on the class. The default
        # (5) drops connections when 200 clients arrive at once.
        request_queue_size = 1024
        daemon_threads = True

    servers = [Server(("127.0.0.1", 0), Handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put([s.server_address[1] for s in servers])
    threading.Event().wait()


# -- the proxies --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mitmdump(port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    cmd = ["mitmdump", "-q", "--listen-host", "127.0.0.1", "-p", str(port), *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(cmd)} exited: {process.stdout.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("mitmdump did not start")


def cpu_s(pid: int) -> float:
    """CPU time (user + system) a process used so far: unlike wall time, hardly moved by other
    people's load on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# -- clients ------------------------------------------------------------------------------------


def throughput(proxy_port: int, url: str, count: int, clients: int = 2) -> float:
    """Requests per second, `clients` keep-alive connections in parallel (warm-up, smoke)."""
    return side_by_side({"one": proxy_port}, url, count / 200, clients)["one"]


def side_by_side(
    ports: dict[str, int], url: str, seconds: float, clients: int = 2
) -> dict[str, float]:
    """Load every proxy at the same time for `seconds`: requests per second of each. Running
    them together means both see the same machine (other people's load comes and goes)."""
    errors: list[str] = []
    done: dict[str, int] = dict.fromkeys(ports, 0)
    lock = threading.Lock()
    start = threading.Barrier(len(ports) * clients + 1)
    stop = threading.Event()

    def work(name: str, port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        count = 0
        start.wait()
        while not stop.is_set():
            conn.request("GET", url)
            response = conn.getresponse()
            if response.read() != PAYLOAD:
                errors.append(f"{name}: body changed")
            count += 1
        conn.close()
        with lock:
            done[name] += count

    threads = [
        threading.Thread(target=work, args=(name, port))
        for name, port in ports.items()
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(errors[0])
    return {name: count / elapsed for name, count in done.items()}


def compose_latencies(ports: dict[str, int], url: str, count: int) -> dict[str, list[float]]:
    conns = {
        name: http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for name, port in ports.items()
    }
    times: dict[str, list[float]] = {name: [] for name in ports}
    headers = {"content-type": "application/json", "origin": "https://x.com"}
    for n in range(count):
        order = list(ports) if n % 2 == 0 else list(reversed(ports))
        for name in order:
            start = time.perf_counter()
            conns[name].request("POST", url, body=reply_body(n), headers=headers)
            response = conns[name].getresponse()
            response.read()
            times[name].append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{name}: compose answered {response.status}")
    for conn in conns.values():
        conn.close()
    return times


async def concurrent_connections(proxy_port: int, urls: list[str], count: int) -> list[str]:
    """`count` connections open at once, each one request; returns what went wrong."""
    gate = asyncio.Event()

    async def one(i: int) -> str | None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", proxy_port), 20
            )
            await gate.wait()
            url = urls[i % len(urls)]
            if url.endswith(CREATE_TWEET):
                body = reply_body(100_000 + i)
                head = (
                    f"POST {url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                writer.write(head + body)
            else:
                writer.write(f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 60)
            writer.close()
            if data.startswith(b"HTTP/1.1 200"):
                return None
            return f"{url}: {data[:80]!r}"
        except (OSError, TimeoutError) as error:
            return f"{urls[i % len(urls)]}: {error!r}"

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    await asyncio.sleep(1.0)  # let every connection open before any request goes
    gate.set()
    results = await asyncio.gather(*tasks)
    return [r for r in results if r is not None]


def harvest(proxy_port: int, url: str, pages: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=60)
    for page in range(pages):
        conn.request("GET", f"{url}?limit=100&page={page}")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"timeline page {page}: {response.status}")
    conn.close()


def check_timeline_is_harvestable() -> None:
    """The synthetic pages must really be read as posts, or the memory figure means nothing."""
    from pullcheck.sites import ADAPTERS_BY_NAME
    from pullcheck.sites.wire import WireRequest, WireResponse

    request = WireRequest("GET", "https", "mastodon.example", 443, TIMELINE, {}, {}, b"")
    response = WireResponse(request, 200, {"content-type": "application/json"}, timeline_page(0))
    harvest = ADAPTERS_BY_NAME["mastodon"].harvest(response)
    if harvest is None or len(harvest.posts) != POSTS_PER_PAGE:
        raise RuntimeError("the Mastodon adapter does not read the synthetic timeline")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput round")
    parser.add_argument("--compose", type=int, default=300, help="compose requests per proxy")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and posts (smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.compose, args.posts = 3, 1.0, 60, 5_000

    ports_queue: multiprocessing.Queue = multiprocessing.Queue()
    upstream = multiprocessing.Process(target=serve_upstream, args=(ports_queue,), daemon=True)
    upstream.start()
    social, other = ports_queue.get(timeout=20)
    work = Path(tempfile.mkdtemp(prefix="pullcheck-bench-"))
    config = work / "config.yaml"
    config.write_text(
        "mode: warn\n"
        "sites:\n"
        f"  x: {{hosts: ['127.0.0.1:{social}']}}\n"
        f"  mastodon: {{hosts: ['127.0.0.1:{social}'], any_host: false}}\n"
        "  bluesky: {any_host: false}\n"
    )
    check_timeline_is_harvestable()
    plain_port, addon_port = free_port(), free_port()
    confdir = ["--set", f"confdir={work / 'mitmproxy'}"]  # a throwaway CA, not ~/.mitmproxy
    plain = start_mitmdump(plain_port, confdir)
    addon = start_mitmdump(
        addon_port,
        [
            *confdir,
            "-s",
            str(ADDON),
            "--set",
            f"pullcheck_config={config}",
            "--set",
            f"pullcheck_data_dir={work / 'data'}",
        ],
    )
    ok = True
    try:
        ports = {"plain": plain_port, "addon": addon_port}
        non_social = f"http://127.0.0.1:{other}/asset"
        compose_url = f"http://127.0.0.1:{social}{CREATE_TWEET}"
        for port in ports.values():  # warm up: connections, imports, rule pack
            throughput(port, non_social, 50)
            compose_latencies({"warm": port}, compose_url, 5)
        if not (work / "data" / "sent.sqlite3").exists():
            raise RuntimeError("the add-on is not active (no sent log written): mitmproxy #8013?")

        pids = {"plain": plain.pid, "addon": addon.pid}
        rates: dict[str, list[float]] = {"plain": [], "addon": []}
        pairs: list[float] = []
        cpu: dict[str, float] = {"plain": 0.0, "addon": 0.0}
        served = {"plain": 0.0, "addon": 0.0}
        for _ in range(args.rounds):
            used = {name: cpu_s(pid) for name, pid in pids.items()}
            round_rates = side_by_side(ports, non_social, args.seconds)
            for name, rate in round_rates.items():
                rates[name].append(rate)
                served[name] += rate * args.seconds
                cpu[name] += cpu_s(pids[name]) - used[name]
            pairs.append(round_rates["addon"] / round_rates["plain"])
        plain_rate = statistics.median(rates["plain"])
        addon_rate = statistics.median(rates["addon"])
        # Each round loads both proxies at once, so its ratio compares like with like; the
        # median of those paired ratios is the figure (the ratio of the two medians can pair a
        # quiet round of one with a busy round of the other).
        ratio = statistics.median(pairs)
        ok &= ratio >= 0.95
        print(
            f"non-social throughput, add-on / plain: {ratio:.3f} (median of {args.rounds} "
            f"rounds of {args.seconds} s, both proxies loaded at once, 2 keep-alive clients "
            f"each; medians plain {plain_rate:.0f} req/s, add-on {addon_rate:.0f} req/s, ratio "
            f"of medians {addon_rate / plain_rate:.3f})  budget >= 0.95  "
            f"{'OK' if ratio >= 0.95 else 'OVER'}"
        )
        per_request = {name: cpu[name] / served[name] * 1000 for name in cpu}
        print(
            f"  proxy CPU per non-social request: plain {per_request['plain']:.3f} ms, "
            f"add-on {per_request['addon']:.3f} ms, ratio plain/add-on "
            f"{per_request['plain'] / per_request['addon']:.3f}"
        )

        used = {name: cpu_s(pid) for name, pid in pids.items()}
        times = compose_latencies(ports, compose_url, args.compose)
        # The add-on writes each send on a background thread a moment after its answer: wait
        # for the last ones, so their CPU time is counted too (both proxies idle meanwhile).
        time.sleep(0.2)
        spent = {
            name: (cpu_s(pid) - used[name]) / args.compose * 1000 for name, pid in pids.items()
        }
        added = p95(times["addon"]) - p95(times["plain"])
        ok &= added <= 2.0
        print(
            f"compose latency p95: plain {p95(times['plain']):.2f} ms, add-on "
            f"{p95(times['addon']):.2f} ms, added {added:.2f} ms (median added "
            f"{statistics.median(times['addon']) - statistics.median(times['plain']):.2f} ms; "
            f"{args.compose} interleaved requests each)  budget <= 2 ms  "
            f"{'OK' if added <= 2.0 else 'OVER'}"
        )
        print(
            f"  proxy CPU per compose request: plain {spent['plain']:.2f} ms, add-on "
            f"{spent['addon']:.2f} ms, added {spent['addon'] - spent['plain']:.2f} ms "
            "(judging, and the sent log written on a background thread)"
        )

        failures = asyncio.run(
            concurrent_connections(
                addon_port, [non_social, compose_url, f"http://127.0.0.1:{social}/home"], 200
            )
        )
        ok &= not failures
        print(
            f"200 concurrent connections through the add-on proxy (non-social GET, compose "
            f"POST, site page): {len(failures)} failed  {'OK' if not failures else 'ERRORS'}"
        )
        for failure in sorted(set(failures))[:5]:
            print(f"  {failure}")

        before = rss_mb(addon.pid)
        pages = args.posts // POSTS_PER_PAGE
        started = time.perf_counter()
        harvest(addon_port, f"http://127.0.0.1:{social}{TIMELINE}", pages)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        grown = rss_mb(addon.pid) - before
        ok &= grown <= 100
        print(
            f"memory: {pages * POSTS_PER_PAGE} harvested posts ({pages} timeline pages in "
            f"{elapsed:.1f} s) grew the add-on proxy's RSS by {grown:.1f} MB (from "
            f"{before:.0f} MB)  budget <= 100 MB  {'OK' if grown <= 100 else 'OVER'}"
        )
    finally:
        for process in (plain, addon):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        upstream.terminate()
        upstream.join(5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
