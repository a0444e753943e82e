"""Phrase search alone: the shipped phrasebook's `find(text, first_only=True)` (what every
judgement runs on its draft) on the material of benchmarks/engine.py, pitch-dense and prose,
280 and 3,000 characters. Prints each draft's best CPU time over the rounds, as the mean and
the worst over the drafts (the best time is the search's own cost, with the machine at full
speed: on a shared host a median moves with the neighbours).

With `--against FILE` (an older `phrase_matcher.py`, e.g. `git show
main:addon/pullcheck/phrase_matcher.py > /tmp/old.py`) the same phrases are also searched with
that module, call by call in turn with the current one, so both see the same machine; the
results must be equal, and the ratio of their times is printed.
Run: python benchmarks/phrase_find.py [--rounds N] [--against FILE]"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from engine import draft_of
from pullcheck.rulebook import builtin_pack


def module_from(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("phrase_matcher_against", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_times(indexes: list[Any], texts: list[str], rounds: int) -> list[list[float]]:
    """Each index's best CPU time per text; the indexes take turns on every text."""
    best = [[float("inf")] * len(texts) for _ in indexes]
    clock = time.thread_time
    for _ in range(rounds):
        for at, text in enumerate(texts):
            for which, index in enumerate(indexes):
                start = clock()
                index.find(text, True)
                spent = clock() - start
                if spent < best[which][at]:
                    best[which][at] = spent
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--against", type=Path, help="an older phrase_matcher.py to compare")
    args = parser.parse_args()
    current = builtin_pack().phrasebook.index
    indexes: list[Any] = [current]
    if args.against:
        older = module_from(args.against).PhraseIndex()
        older.phrases = list(current.phrases)
        older.patterns = list(current.patterns)
        older.build()
        indexes.append(older)
    rng = random.Random(7)
    print(
        f"phrase search (first hits), {len(current.phrases)} phrases, best CPU time per draft "
        f"over {args.rounds} rounds, in µs: mean and worst over the drafts"
    )
    header = f"{'material':<8} {'length':>6} {'mean':>8} {'worst':>8}"
    print(header + (f" {'against':>16} {'ratio':>6}" if args.against else ""))
    for material in ("dense", "prose"):
        for length in (280, 3000):
            texts = [
                draft_of(length, rng, kind, material).text
                for kind in ("reply", "dm", "post")
                for _ in range(20)
            ]
            for text in texts:  # warm the index, and hold the two modules to the same results
                results = [index.find(text, True) for index in indexes]
                assert all(result == results[0] for result in results), text
            best = best_times(indexes, texts, args.rounds)
            line = f"{material:<8} {length:>6} {statistics.mean(best[0]) * 1e6:8.1f} "
            line += f"{max(best[0]) * 1e6:8.1f}"
            if args.against:
                line += f" {statistics.mean(best[1]) * 1e6:8.1f} {max(best[1]) * 1e6:7.1f}"
                line += f" {sum(best[0]) / sum(best[1]):6.3f}"
            print(line)


if __name__ == "__main__":
    main()
