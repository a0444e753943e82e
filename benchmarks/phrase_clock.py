"""Run `pullcheck ARGS` with every function and method of `pullcheck.phrases` in a clock.

Usage: python benchmarks/phrase_clock.py check hello
The command runs as the `pullcheck` console script runs it, its output discarded. The last line
on stderr is `phrases-ms WALL CPU`: the time spent inside pullcheck.phrases (a call from one of
its functions into another counts once). `benchmarks/startup.py` subtracts it from the run's own
time to show what the start-up costs outside the phrase matching. The imports here are kept to
what the clock needs, so the run costs what `pullcheck ARGS` costs, plus the clock.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import time
from collections.abc import Callable
from typing import Any


def clock_phrases() -> list[float]:
    """Wrap the functions and methods defined in pullcheck.phrases; the list holds the wall and
    CPU seconds spent inside them. Call it before anything imports names from the module."""
    import pullcheck.phrases as phrases

    spent = [0.0, 0.0]
    depth = [0]

    def clocked(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[0]:
                return function(*args, **kwargs)
            depth[0] += 1
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                spent[0] += time.perf_counter() - started
                spent[1] += time.process_time() - cpu

        return wrapper

    for name, value in list(vars(phrases).items()):
        if getattr(value, "__module__", None) != phrases.__name__:
            continue
        if inspect.isfunction(value):
            setattr(phrases, name, clocked(value))
        elif inspect.isclass(value) and not hasattr(value, "model_fields"):
            # pydantic models are left alone: their validators are not plain functions.
            for attribute, member in list(vars(value).items()):
                if inspect.isfunction(member):
                    setattr(value, attribute, clocked(member))
    return spent


def main() -> None:
    spent = clock_phrases()
    from pullcheck.cli import console

    # Run as the console script runs (console() ends with SystemExit), output discarded.
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        sys.stdout = devnull
        try:
            console()
        finally:
            sys.stdout = sys.__stdout__
            print(f"phrases-ms {spent[0] * 1000:.3f} {spent[1] * 1000:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
