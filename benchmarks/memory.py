"""Memory held by 100,000 harvested posts (budget: <= 100 MB above baseline).

Builds X HomeTimeline responses (the real read path: JSON bytes -> adapter.harvest ->
Memory.remember), 100 posts per response, with realistic post lengths (40-280 characters,
a few long posts), 5,000 distinct authors and unique ids. Prints the traced Python heap and the
process RSS above the baseline taken before the first post.

    python benchmarks/memory.py [--posts 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc

from pullcheck.memory import Memory
from pullcheck.sites.wire import WireRequest, WireResponse
from pullcheck.sites.x import ADAPTER

WORDS = (
    "can anyone recommend a good web designer for my small bakery site budget is modest "
    "looking for honest experiences not sales pitches please sourdough day first batch out "
    "of the oven at 6am our new menu launches friday thanks everyone who came to the market"
).split()


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def tweet(rng: random.Random, serial: int) -> dict:
    length = rng.choice((40, 80, 120, 180, 240, 280, 280, 600))
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    text = f"{serial} " + " ".join(words)
    author = rng.randrange(5_000)
    result = {
        "__typename": "Tweet",
        "rest_id": str(1_790_000_000_000_000_000 + serial),
        "core": {
            "user_results": {
                "result": {
                    "__typename": "User",
                    "rest_id": str(1_600_000_000_000_000_000 + author),
                    "core": {"screen_name": f"user_{author}", "name": f"User {author}"},
                }
            }
        },
        "legacy": {
            "full_text": text[:280],
            "id_str": str(1_790_000_000_000_000_000 + serial),
            "user_id_str": str(1_600_000_000_000_000_000 + author),
        },
    }
    if rng.random() < 0.3:
        result["legacy"]["in_reply_to_status_id_str"] = str(
            1_790_000_000_000_000_000 + rng.randrange(max(serial, 1))
        )
    if len(text) > 280:
        result["note_tweet"] = {"note_tweet_results": {"result": {"text": text}}}
    return {
        "entryId": f"tweet-{serial}",
        "content": {
            "itemContent": {"__typename": "TimelineTweet", "tweet_results": {"result": result}}
        },
    }


def timeline(rng: random.Random, start: int, count: int) -> WireResponse:
    entries = [tweet(rng, serial) for serial in range(start, start + count)]
    body = json.dumps(
        {
            "data": {
                "home": {
                    "home_timeline_urt": {
                        "instructions": [{"type": "TimelineAddEntries", "entries": entries}]
                    }
                }
            }
        }
    ).encode()
    request = WireRequest(
        "GET", "https", "x.com", 443, "/i/api/graphql/q/HomeTimeline", {}, {}, b""
    )
    return WireResponse(request, 200, {"content-type": "application/json"}, body)


def fill(posts: int, per_response: int) -> tuple[Memory, float]:
    rng = random.Random(7)
    memory = Memory(max_posts=posts)
    harvest_seconds = 0.0
    for start in range(0, posts, per_response):
        response = timeline(rng, start, min(per_response, posts - start))
        began = time.perf_counter()
        harvest = ADAPTER.harvest(response)
        assert harvest is not None
        memory.remember("x", harvest)
        harvest_seconds += time.perf_counter() - began
    assert memory.stats()["posts"] == posts
    return memory, harvest_seconds


def measure(kind: str, posts: int, per_response: int) -> None:
    """One measurement in this process: `trace` (tracemalloc) or `rss` (no tracing)."""
    gc.collect()
    if kind == "trace":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        memory, _ = fill(posts, per_response)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(json.dumps({"mb": (after - before) / 1e6, "posts": len(memory.posts)}))
    else:
        before = rss_mb()
        memory, seconds = fill(posts, per_response)
        gc.collect()
        print(
            json.dumps(
                {
                    "mb": rss_mb() - before,
                    "posts": len(memory.posts),
                    "us_per_post": seconds * 1e6 / posts,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--per-response", type=int, default=100)
    parser.add_argument("--only", choices=["trace", "rss"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        measure(args.only, args.posts, args.per_response)
        return

    # Each figure from a fresh process: tracemalloc's own bookkeeping would inflate the RSS.
    results = {}
    for kind in ("rss", "trace"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--posts",
                str(args.posts),
                "--per-response",
                str(args.per_response),
                "--only",
                kind,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        ).stdout
        results[kind] = json.loads(out.strip().splitlines()[-1])
    traced = results["trace"]["mb"]
    rss = results["rss"]["mb"]
    posts = results["trace"]["posts"]
    print(f"posts remembered:            {posts:,}")
    print(f"tracemalloc above baseline:  {traced:.1f} MB ({traced * 1e6 / posts:.0f} bytes/post)")
    print(f"RSS above baseline:          {rss:.1f} MB (separate run without tracemalloc)")
    print(f"budget 100 MB:               {'OK' if max(traced, rss) <= 100 else 'OVER'}")
    print(
        f"harvest + remember:          {results['rss']['us_per_post']:.1f} us/post "
        "(X timeline JSON -> adapter -> memory; CPU shared, noisy)"
    )


if __name__ == "__main__":
    main()
