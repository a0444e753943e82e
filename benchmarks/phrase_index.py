"""Time to build the built-in phrase index: every phrase group of the shipped pack (all
languages) compiled, merged into one phrasebook and made ready to search, then one short draft
searched (an index built on first use pays its deferred work there). Reading the YAML files is
not timed (start-up's other half, measured by benchmarks/startup.py). Budget: ~100 ms.
Each run builds again from the parsed files, with Python's regex cache emptied first; the first
run (every cache of this process cold, as in a fresh `pullcheck check`) and the median of the
runs are printed.
Run: python benchmarks/phrase_index.py [--runs N]"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

import yaml
from pullcheck.phrases import Phrasebook, PhraseGroupFile, compile_group
from pullcheck.rulebook import builtin_rules_dir


def group_specs() -> list[PhraseGroupFile]:
    specs: list[PhraseGroupFile] = []
    for path in sorted((builtin_rules_dir() / "phrases").glob("*.yaml")):
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if "groups" not in raw:
            specs.append(PhraseGroupFile.model_validate(raw))
            continue
        for name, body in raw["groups"].items():
            data = {**body, "group": name, "language": raw["language"]}
            specs.append(PhraseGroupFile.model_validate(data))
    return specs


def build_once(specs: list[PhraseGroupFile]) -> float:
    started = time.perf_counter()
    book = Phrasebook()
    for spec in specs:
        book.add(compile_group(spec, built_in=True, check_examples=False))
    book.find_all("hello, check out my channel", first_only=True, language="es")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    specs = group_specs()
    phrases = sum(len(spec.phrases) for spec in specs)
    times = []
    for _ in range(runs):
        # Caches of compiled regexes would make later runs cheaper than a fresh start.
        re.purge()
        times.append(build_once(specs) * 1000)
    print(
        f"{len(specs)} groups, {phrases} phrases: first build {times[0]:.1f} ms (this process's "
        f"caches cold), median {statistics.median(times):.1f} ms (min {min(times):.1f}, "
        f"max {max(times):.1f}, {runs} runs)"
    )


if __name__ == "__main__":
    main()
