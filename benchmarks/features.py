"""Cost of each step of the features prelude of a judgement (everything `features.extract` does
besides phrase matching) on 3,000-character drafts: pitch-dense material (links, mentions,
"!!!", prices) and ordinary prose with one pitch and one link, from benchmarks/engine.py.

Each step runs on the same drafts in every round, the steps interleaved, so a slow spell of the
machine falls on all of them alike. Printed per draft, in µs of this thread's CPU time: the best
round (the cost with the machine at full speed) and the median round. `extract` is the whole
function; `phrase matching` is its `Phrasebook.find_all` call (with its language guess), and
`rest of extract` the difference: the steps above plus putting the Features together.
Run: python benchmarks/features.py [--rounds N]"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from engine import draft_of
from pullcheck.features import EXCLAMATIONS, _signals, extract, language_of
from pullcheck.links import find_links, find_mentions
from pullcheck.phrases import normalise
from pullcheck.rulebook import builtin_pack
from pullcheck.unmask import unmask

LENGTH = 3000
DRAFTS = 10


def steps(texts: list[str]) -> dict[str, Callable[[str], Any]]:
    """Each step as a function of the draft's text, with the input it gets inside `extract`."""
    phrasebook = builtin_pack().phrasebook
    features = {text: extract(text, phrasebook) for text in texts}
    return {
        "normalise": normalise,
        "unmask": unmask,
        "find_links": find_links,
        "find_mentions": find_mentions,
        "guess_language": lambda text: language_of(text, phrasebook),
        "exclamations": lambda text: EXCLAMATIONS.findall(text) if "!" in text else [],
        "signals": lambda text: _signals(features[text]),
        "phrase matching": lambda text: phrasebook.find_all(
            text, first_only=True, language=language_of(text, phrasebook)
        ),
        "extract": lambda text: extract(text, phrasebook),
    }


def measure(texts: list[str], rounds: int) -> dict[str, list[float]]:
    """CPU seconds per draft of each step, one entry per round (the steps interleaved)."""
    by_step = steps(texts)
    for step in by_step.values():  # warm caches
        for text in texts:
            step(text)
    timings: dict[str, list[float]] = {name: [] for name in by_step}
    for _ in range(rounds):
        for name, step in by_step.items():
            start = time.thread_time()
            for text in texts:
                step(text)
            timings[name].append((time.thread_time() - start) / len(texts))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    print(
        f"features prelude, {DRAFTS} drafts of {LENGTH} characters, {args.rounds} rounds; "
        "CPU µs per draft"
    )
    print(
        f"{'step':<20}"
        + "".join(f"{m + ' best':>13}{m + ' median':>15}" for m in ("dense", "prose"))
    )
    results = {}
    for material in ("dense", "prose"):
        texts = [draft_of(LENGTH, rng, "post", material).text for _ in range(DRAFTS)]
        results[material] = measure(texts, args.rounds)
    for name in results["dense"]:
        row = f"{name:<20}"
        for material in ("dense", "prose"):
            timings = results[material][name]
            row += f"{min(timings) * 1e6:13.1f}{statistics.median(timings) * 1e6:15.1f}"
        print(row)
    # The rest of extract: the whole, less the phrase matching (best less best, median less
    # median; a difference per round would pair unlike moments of a noisy machine).
    row = f"{'rest of extract':<20}"
    for material in ("dense", "prose"):
        whole, phrases = results[material]["extract"], results[material]["phrase matching"]
        best = min(whole) - min(phrases)
        median = statistics.median(whole) - statistics.median(phrases)
        row += f"{best * 1e6:13.1f}{median * 1e6:15.1f}"
    print(row)


if __name__ == "__main__":
    main()
