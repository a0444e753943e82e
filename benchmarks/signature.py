"""Cost of the link-blast rule's (PP301) two steps on the engine benchmark's material: the
similarity signature of a pitch-dense draft (it reads the first 600 characters) and the lookup of
near-duplicate recipients in a 300-message sent log, in memory and in the SQLite log.

Each figure is the best (and median) over many repeats of the mean per draft, in microseconds of
this thread's CPU time: the best is the cost with the machine at full speed.
Run: python benchmarks/signature.py [--repeats N]"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine import draft_of  # the engine benchmark's drafts (this script's folder)
from pullcheck.engine import Engine
from pullcheck.features import Features
from pullcheck.history import InMemorySentHistory, SentHistory
from pullcheck.models import Draft
from pullcheck.rulebook import builtin_pack
from pullcheck.sentlog import SqliteSentLog
from pullcheck.signature import similarity_signature

SENT = 300
# PP301's window and distance (rules/PP301-link-blast.yaml).
WINDOW_S = 24 * 3600
MAX_DISTANCE = 6


def per_draft(step: Callable[[int], object], drafts: int, repeats: int) -> tuple[float, float]:
    """(best, median) over `repeats` of the mean CPU time of `step` per draft, in us."""
    means = []
    for _ in range(repeats):
        start = time.thread_time_ns()
        for index in range(drafts):
            step(index)
        means.append((time.thread_time_ns() - start) / drafts / 1e3)
    return min(means), statistics.median(means)


def sent_drafts(rng: random.Random) -> list[Draft]:
    """The engine benchmark's sent log: 300 earlier 200-character DMs (recorded a minute apart)."""
    return [draft_of(200, rng, "dm") for _ in range(SENT)]


def filled(history: SentHistory, sent: list[Draft], now: float) -> Engine:
    engine = Engine(builtin_pack(), history=history)
    for index, draft in enumerate(sent):
        engine.record_sent(draft, now=now - index * 60)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    now = time.time()
    # The same random sequence as the engine benchmark: the sent log, then the drafts.
    rng = random.Random(7)
    sent = sent_drafts(rng)
    memory = InMemorySentHistory()
    engine = filled(memory, sent, now)
    drafts = [draft_of(3000, rng, kind) for kind in ("reply", "dm", "post") for _ in range(20)]
    features: list[Features] = [engine.features_of(draft) for draft in drafts]
    signatures = [similarity_signature(f.text, f.links, f.mentions) for f in features]

    def signature(index: int) -> int:
        found = features[index]
        return similarity_signature(found.text, found.links, found.mentions)

    def lookup(history: SentHistory) -> Callable[[int], object]:
        def step(index: int) -> object:
            return history.recipients_of_similar(
                "x", signatures[index], now - WINDOW_S, MAX_DISTANCE
            )

        return step

    with tempfile.TemporaryDirectory() as folder:
        log = SqliteSentLog(Path(folder) / "sent.sqlite3")
        filled(log, sent, now)
        steps = {
            "similarity_signature (dense, 3,000 chars)": signature,
            f"lookup, in memory ({SENT} sent)": lookup(memory),
            f"lookup, SQLite sent log ({SENT} sent)": lookup(log),
        }
        for step in steps.values():
            per_draft(step, len(drafts), 3)  # warm caches
        print(f"PP301 per draft, {len(drafts)} drafts, {args.repeats} repeats, CPU us")
        print(f"{'step':<45}{'best':>8}{'median':>9}")
        for label, step in steps.items():
            best, median = per_draft(step, len(drafts), args.repeats)
            print(f"{label:<45}{best:8.2f}{median:9.2f}")
        matched = [len(lookup(memory)(index)) for index in range(len(drafts))]
        print(f"recipients found per draft: mean {statistics.mean(matched):.1f}")
        log.close()


if __name__ == "__main__":
    main()
