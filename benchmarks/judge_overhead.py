"""The fixed cost of a judgement: `Engine.judge` on drafts whose text costs next to nothing.

Prints the CPU time of one judgement, in µs, for three replies under the same parent post
("Sunset over the harbour tonight"), with the whole default pack:
- "hi": two characters, no findings: almost everything is the engine's own fixed cost (rules'
  predicates, `_Context`, `audience_of`, the parent's ask, the verdict);
- the 144-character pitch reply with 7 findings: the same, plus building 7 findings;
- a pitch-dense 3,000-character reply from `benchmarks/engine.py` (the budget's worst case).
"hi" is also timed as a dm and as a post (dms and posts run fewer rules than replies).

Each figure is the minimum, over many batches, of a batch's mean (the cost with the machine at
full speed; this shared host's speed swings by up to 2x for seconds at a time), with the median
batch beside it. To compare two trees, run this script from each in turn, several times
interleaved, and compare the minimums.
Run: python benchmarks/judge_overhead.py [--batches N]"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from pullcheck.engine import Engine
from pullcheck.history import InMemorySentHistory
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import draft_of  # the dense material of benchmarks/engine.py

PARENT = ReplyTarget(author="someone", text="Sunset over the harbour tonight")
PITCH = (
    "We offer web design for small businesses, starting at $499. Check out my new channel and "
    "subscribe!!! More at https://acme.example/spring?ref=42"
)


def drafts() -> dict[str, Draft]:
    return {
        "hi (reply)": Draft(platform="x", kind="reply", text="hi", reply_to=PARENT),
        "hi (dm)": Draft(platform="x", kind="dm", text="hi", recipients=["someone"]),
        "hi (post)": Draft(platform="x", kind="post", text="hi"),
        "pitch reply, 144 chars": Draft(platform="x", kind="reply", text=PITCH, reply_to=PARENT),
        "dense reply, 3,000 chars": draft_of(3000, random.Random(7), "reply"),
    }


def batch_means(engine: Engine, draft: Draft, batches: int, per_batch: int) -> list[float]:
    """CPU seconds (this thread) per judgement, one mean per batch."""
    means = []
    for _ in range(batches):
        start = time.thread_time()
        for _ in range(per_batch):
            engine.judge(draft)
        means.append((time.thread_time() - start) / per_batch)
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    engine = Engine(builtin_pack(), history=InMemorySentHistory())
    print(f"Engine.judge, whole default pack ({len(engine.active)} rules), CPU µs per judgement")
    print(f"{'draft':<26}{'findings':>9}{'min':>9}{'median':>9}")
    for label, draft in drafts().items():
        findings = len(engine.judge(draft).findings)
        # ~20 ms a batch: long enough for the clock, short enough to fit between slow spells.
        per_batch = 40 if len(draft.text) > 1000 else 200
        means = batch_means(engine, draft, args.batches, per_batch)
        best, typical = min(means) * 1e6, statistics.median(means) * 1e6
        print(f"{label:<26}{findings:>9}{best:>9.1f}{typical:>9.1f}")


if __name__ == "__main__":
    main()
