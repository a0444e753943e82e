"""What the site adapters cost per request, from the repository's site fixtures (tests/fixtures:
the per-site operations, X's public API, Bluesky chat reads).

For every compose fixture: `adapter.compose` + `Memory.enrich` (what the proxy adds to a compose
request before the engine runs); for every read fixture: `adapter.harvest` + `Memory.remember`
(what a timeline response costs in the response hook); and the host lookup for non-social
traffic. Prints the median and p95 in microseconds. The CPU may be shared: quote medians.

    python benchmarks/sites.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pullcheck.memory import Memory
from pullcheck.sites import adapter_for_request
from pullcheck.sites.wire import WireRequest, WireResponse

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SITES = ("x", "mastodon", "bluesky", "linkedin", "reddit")


def request(spec: dict[str, Any], body: str | None = None) -> WireRequest:
    url = urlsplit(spec["url"])
    return WireRequest(
        spec.get("method", "GET"),
        url.scheme,
        url.hostname or "",
        url.port or 443,
        url.path,
        dict(parse_qsl(url.query)),
        {k.lower(): v for k, v in spec.get("headers", {}).items()},
        (spec.get("body") if body is None else body or "").encode(),
    )


def timed(work: Any, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        print(f"fixtures not found at {FIXTURES}", file=sys.stderr)
        return 1
    memory = Memory()
    rows = []
    for path in sorted(FIXTURES.glob("*.json")):
        if not path.name.startswith(SITES):
            continue
        fixture = json.loads(path.read_text())
        if fixture["direction"] == "outgoing_request":
            wire = request(fixture["request"])
            adapter = adapter_for_request(wire)
            assert adapter is not None, path.name

            def compose(adapter: Any = adapter, wire: WireRequest = wire) -> None:
                memory.enrich(adapter.name, adapter.compose(wire))

            rows.append(("compose+enrich", path.stem, *timed(compose, args.rounds)))
        elif fixture["direction"] == "incoming_response":
            spec = fixture["response"]
            response = WireResponse(
                request(fixture["request"], ""),
                spec["status"],
                {k.lower(): v for k, v in spec["headers"].items()},
                spec["body"].encode(),
            )
            adapter = adapter_for_request(response.request)
            assert adapter is not None, path.name

            def harvest(adapter: Any = adapter, response: WireResponse = response) -> None:
                memory.remember(adapter.name, adapter.harvest(response))

            rows.append(("harvest+remember", path.stem, *timed(harvest, args.rounds)))
    other = WireRequest("GET", "https", "cdn.example.com", 443, "/static/app.js", {}, {}, b"")
    rows.append(
        (
            "host lookup",
            "non-social request",
            *timed(lambda: adapter_for_request(other), args.rounds * 10),
        )
    )
    width = max(len(name) for _, name, _, _ in rows)
    print(f"{'what':<17} {'fixture':<{width}} {'median us':>10} {'p95 us':>9}")
    for what, name, median, p95 in rows:
        print(f"{what:<17} {name:<{width}} {median:>10.1f} {p95:>9.1f}")
    composes = [p95 for what, _, _, p95 in rows if what == "compose+enrich"]
    print(
        f"\nworst compose+enrich p95: {max(composes):.1f} us (proxy budget for a compose "
        "request: 2,000 us p95 including the engine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
