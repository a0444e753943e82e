"""What the config costs the proxy: a `ConfigWatcher.poll()` with nothing changed (the proxy
polls every second), a poll that applies an edit (config only, rule pack reused), the first load
(rule pack loaded and every example run) and `load_config` of the example config.

Run: python benchmarks/config.py [--polls N] [--reloads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=5000)
    parser.add_argument("--reloads", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        # Never touch the real user's files.
        os.environ["PULLCHECK_DATA_DIR"] = str(Path(folder) / "data")
        os.environ["PULLCHECK_CONFIG"] = str(Path(folder) / "none.yaml")
        from pullcheck.config import load_config
        from pullcheck.config_watch import ConfigWatcher

        path = Path(folder) / "config.yaml"
        path.write_text((REPO / "examples" / "config.yaml").read_text(), encoding="utf-8")

        started = time.perf_counter()
        watcher = ConfigWatcher(path)
        first = time.perf_counter() - started

        idle: list[float] = []
        for _ in range(args.polls):
            started = time.perf_counter()
            watcher.poll()
            idle.append(time.perf_counter() - started)

        reloads: list[float] = []
        base = path.read_text(encoding="utf-8")
        for index in range(args.reloads):
            edited = base.replace("hold_timeout_s: 120", f"hold_timeout_s: {60 + index}")
            path.write_text(edited, encoding="utf-8")
            later = time.time_ns() + (index + 1) * 1_000_000_000
            os.utime(path, ns=(later, later))
            started = time.perf_counter()
            applied = watcher.poll()
            reloads.append(time.perf_counter() - started)
            if not applied:
                print("an edit was not applied", file=sys.stderr)
                return 1

        loads: list[float] = []
        for _ in range(args.reloads):
            started = time.perf_counter()
            load_config(REPO / "examples" / "config.yaml")
            loads.append(time.perf_counter() - started)

    idle.sort()
    print(f"first load (rule pack + examples): {_ms(first)}")
    print(
        f"poll, nothing changed: median {_ms(statistics.median(idle))}, "
        f"p99 {_ms(idle[int(len(idle) * 0.99) - 1])} ({args.polls} polls)"
    )
    print(f"poll applying an edit: median {_ms(statistics.median(reloads))} ({args.reloads} edits)")
    print(f"load_config(examples/config.yaml), pack cached: median {_ms(statistics.median(loads))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
