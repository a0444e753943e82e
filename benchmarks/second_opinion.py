"""Cost of the learned second opinion (rule PP207) on one draft: `SecondOpinion.margin` on
pitch-dense replies of 200 and 3,000 characters (it reads only the first `max_chars`, 200 with
the shipped model, so both should cost the same) and on a 3,000-character reply in Korean and
German (characters beyond Latin-1 are new string objects when read one by one).

Each figure is the time of one call: the best and the median of the repeats, each repeat a loop
of calls timed with the wall clock (a call takes microseconds, below what the CPU clock resolves).
With --against, an other copy of `second_opinion.py` (for example the code before a change:
`git show main:addon/pullcheck/second_opinion.py > /tmp/old.py`) loads the same model file and is
timed in the same sitting, interleaved repeat by repeat, and its margins are checked to be the
same floats.
Run: python benchmarks/second_opinion.py [--repeats N] [--against OLD_second_opinion.py]"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pullcheck.second_opinion import SecondOpinion, builtin_model_path

# A pitch-dense reply, as in benchmarks/engine.py: the kind of draft PP207 judges.
DENSE = (
    "Lovely photo, where was it taken? We offer web design for small businesses, starting at "
    "$499. Check out my new channel and subscribe!!! More at https://acme.example/spring?ref=42 "
    "and www.widgets.example. @ann @bob did you see this? Limited time offer, act now before "
    "it's gone. Thanks for sharing, what do you think about the second approach? "
)
NON_ASCII = (
    "정말 멋진 영상이네요! 제 채널도 구독해 주세요. Schönes Foto, wo wurde es aufgenommen? "
    "Wir bieten Webdesign für kleine Unternehmen an, ab 499 €. 지금 바로 확인하세요!!! "
)
# Calls per timed loop: long enough that the clock's resolution does not matter.
CALLS = 200


def text_of(material: str, length: int) -> str:
    return (material * (length // len(material) + 1))[:length]


def load_other(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("second_opinion_against", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: cannot load")
    module = importlib.util.module_from_spec(spec)
    # Registered first: the module defines dataclasses, which look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def one_loop(margin: Callable[[str], float], text: str) -> float:
    """Seconds per call, over one loop of CALLS calls."""
    started = time.perf_counter()
    for _ in range(CALLS):
        margin(text)
    return (time.perf_counter() - started) / CALLS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--against", type=Path, help="another copy of second_opinion.py")
    args = parser.parse_args()
    model_text = builtin_model_path().read_text(encoding="utf-8")
    models = {"this tree": SecondOpinion.from_json(model_text)}
    if args.against is not None:
        other = load_other(args.against)
        models[args.against.name] = other.SecondOpinion.from_json(model_text)
    drafts = {
        "dense reply, 200 chars": text_of(DENSE, 200),
        "dense reply, 3,000 chars": text_of(DENSE, 3000),
        "Korean+German, 3,000 chars": text_of(NON_ASCII, 3000),
    }
    for label, text in drafts.items():
        margins = {name: model.margin(text) for name, model in models.items()}
        if len(set(margins.values())) != 1:
            print(f"{label}: the margins differ: {margins}")
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(args.repeats):
            for name, model in models.items():
                times[name].append(one_loop(model.margin, text))
        for name, values in times.items():
            print(
                f"{label:<28} {name:<24} best {min(values) * 1e6:6.1f} µs"
                f"   median {statistics.median(values) * 1e6:6.1f} µs"
            )


if __name__ == "__main__":
    main()
