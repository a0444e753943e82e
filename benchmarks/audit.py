"""Audit a synthetic 100,000-item X archive and print how long each phase takes.

Budget (issue 5): the whole audit of a 100,000-post archive finishes in under 60 s on this
machine. Run: `python benchmarks/audit.py [--items 100000] [--zip] [--seed 5]`.

The archive is generated in the real export format (data/tweets.js, data/direct-messages.js,
data/account.js, as `window.YTD...` assignments) from a mix of push and pull templates with
random words, so similarity signatures differ as real posts do. 15% of the items are DMs, a
third of them the same auto-DM to different new followers (what the link-blast rule is for).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pullcheck.audit.formats import open_archive
from pullcheck.audit.report import render_report
from pullcheck.audit.runner import engine_for_audit, run_audit
from pullcheck.config import load_config

OWNER_ID, OWNER = "1000", "acme_webworks"
WORDS = (
    "website bakery shop coffee garden design launch client project photo team week "
    "morning idea build fast mobile local market summer winter update story help"
).split()
POSTS = [
    "Shipped a {w} {w} for a {w} today, more soon",
    "What is your favourite {w} tool for a {w}? Asking for a {w} project",
    "Big news: our {w} service is live! Get 20% off this week only https://t.co/{id}",
    "Three things I learned about {w} and {w} this {w}",
    "Check out my new {w} portfolio https://t.co/{id} and follow for more!",
]
REPLIES = [
    "Thanks, that {w} tip saved my {w}!",
    "Hi! We build fast {w} sites for {w} owners. DM me for a discount https://t.co/{id}",
    "Congrats on the {w} launch, looks great",
    "Have you tried a {w} first? Happy to share what worked for our {w}",
]
DMS = [
    "Thanks for following! Visit https://acme-webworks.example for 10% off your first site",
    "Good to hear from you, the {w} {w} sounds fun. When do you need it?",
]


def _fill(template: str, rng: random.Random) -> str:
    text = template
    while "{w}" in text:
        text = text.replace("{w}", rng.choice(WORDS), 1)
    return text.replace("{id}", f"{rng.randrange(16**6):06x}")


def generate(folder: Path, items: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    dm_count = items * 15 // 100
    tweet_count = items - dm_count
    start = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=(9 * 365 * 24 * 60) // max(items, 1))
    tweets = []
    for n in range(tweet_count):
        when = start + step * n
        reply = rng.random() < 0.35
        text = _fill(rng.choice(REPLIES if reply else POSTS), rng)
        urls = []
        if "https://t.co/" in text:
            short = text[text.index("https://t.co/") :].split()[0]
            urls.append(
                {
                    "url": short,
                    "expanded_url": "https://acme-webworks.example/offer",
                    "display_url": "acme-webworks.example/offer",
                    "indices": ["0", "0"],
                }
            )
        tweet = {
            "id_str": str(10**17 + n),
            "full_text": text,
            "retweeted": False,
            "created_at": when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "display_text_range": ["0", str(len(text))],
            "entities": {"urls": urls, "user_mentions": [], "hashtags": []},
        }
        if reply:
            tweet["in_reply_to_status_id_str"] = str(10**16 + n)
            tweet["in_reply_to_screen_name"] = f"user{rng.randrange(5000)}"
            tweet["in_reply_to_user_id_str"] = str(50_000 + rng.randrange(5000))
        tweets.append({"tweet": tweet})
    conversations: dict[str, list[dict]] = {}
    for n in range(dm_count):
        other = str(2000 + rng.randrange(max(dm_count // 2, 1)))
        when = start + step * rng.randrange(max(items, 1))
        text = _fill(rng.choice(DMS), rng)
        conversations.setdefault(other, []).append(
            {
                "messageCreate": {
                    "recipientId": other,
                    "senderId": OWNER_ID,
                    "text": text,
                    "id": str(n),
                    "createdAt": when.isoformat().replace("+00:00", "Z"),
                    "urls": [],
                }
            }
        )
    data = folder / "data"
    data.mkdir(parents=True)
    (data / "account.js").write_text(
        "window.YTD.account.part0 = "
        + json.dumps([{"account": {"accountId": OWNER_ID, "username": OWNER}}])
    )
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets))
    (data / "direct-messages.js").write_text(
        "window.YTD.direct_messages.part0 = "
        + json.dumps(
            [
                {"dmConversation": {"conversationId": f"{OWNER_ID}-{other}", "messages": messages}}
                for other, messages in conversations.items()
            ]
        )
    )
    return tweet_count, dm_count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--zip", action="store_true", help="audit the zip instead of the folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "twitter-archive"
        began = time.perf_counter()
        tweets, dms = generate(folder, args.items, args.seed)
        target = folder
        if args.zip:
            target = Path(temporary) / "twitter-archive.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(folder.rglob("*")):
                    archive.write(path, path.relative_to(folder).as_posix())
        generated = time.perf_counter() - began
        print(f"generated {tweets:,} tweets + {dms:,} DMs ({generated:.1f} s, not counted)")

        began = time.perf_counter()
        cpu_before = os.times()
        archive = open_archive(target)
        read_s = time.perf_counter() - began
        engine = engine_for_audit(load_config(Path(temporary) / "absent.yaml", missing_ok=True))
        summary = run_audit(archive, engine, progress_stream=io.StringIO())
        report = render_report(summary)
        (Path(temporary) / "report.html").write_text(report, encoding="utf-8")
        total_s = time.perf_counter() - began
        cpu_after = os.times()
    # CPU seconds of this process and of the forked workers: on a shared machine the wall
    # clock mostly measures the others; this is what the audit itself used.
    cpu_s = sum(
        getattr(cpu_after, f) - getattr(cpu_before, f)
        for f in ("user", "system", "children_user", "children_system")
    )
    judged = summary.total
    print(f"read     {read_s:6.2f} s  ({len(archive.items):,} items)")
    print(
        f"judge    {summary.elapsed_s:6.2f} s  "
        f"({1e6 * summary.elapsed_s / max(judged, 1):.0f} µs per item)"
    )
    print(f"total    {total_s:6.2f} s  (read + judge + report of {len(report) / 1e3:.0f} kB)")
    print(
        f"cpu      {cpu_s:6.2f} s  (this process and its workers; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end)"
    )
    print(
        f"push     {summary.push:,} of {judged:,} ({100 * summary.share:.1f}%), "
        f"unjudged {summary.unjudged}"
    )
    print(f"budget   < 60 s: {'met' if total_s < 60 else 'MISSED'}")
    return 0 if total_s < 60 and not summary.unjudged else 1


if __name__ == "__main__":
    sys.exit(main())
