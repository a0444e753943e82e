"""How long pullcheck takes to answer from a cold start, and to apply a config edit.

Figures (budgets from issue 13; the baseline is an empty Python start, `python -c pass`, timed
the same way so the ratio says what pullcheck adds on this machine):
  1. `pullcheck check "hello"`: wall time of the whole process, median of N runs       <= 300 ms
     (with the shipped pack stored by an earlier start, in a cache folder of the benchmark's
     own; the start that builds and stores it is printed too, without a budget)
  2. config reload: `ConfigWatcher.poll()` after the config file was edited (a new
     hold_timeout_s; the rule pack is reused), in-process, median of N edits             <= 300 ms
Also printed, without a budget: the start-up without the time spent in `pullcheck.phrases`
(compiling and indexing the phrase groups, reading their files; timed by
`benchmarks/phrase_clock.py`, which runs the command with every function and method of that
module in a clock, and subtracted from the wall and CPU time of those runs),
a reload after a file in an extra rule folder changed (the rule is read again and its examples
run; the phrase groups are reused), and the first ConfigWatcher load in a process.

Usage: python benchmarks/startup.py [--runs 11] [--reloads 11]
Exit 0 when both budgeted figures are within budget, 1 otherwise. The machine may be shared:
quote medians and the ratio, which moves less with the load than the absolute time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MS = 300.0
CHECK_LABEL = 'pullcheck check "hello"'


def wall_ms(
    command: list[str],
    env: dict[str, str],
    runs: int,
    before_each: Callable[[], None] = lambda: None,
) -> tuple[list[float], float]:
    """Wall time of `command` from fork to exit, once per run (output discarded), and the
    median CPU time (user + system) the child used, which a busy machine inflates less;
    `before_each` runs before each start, untimed."""
    samples, cpu = [], []
    for _ in range(runs):
        before_each()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        samples.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} exited {done.returncode}: "
                f"{done.stderr.decode(errors='replace')}"
            )
    return samples, statistics.median(cpu)


def outside_phrases_ms(env: dict[str, str], runs: int) -> tuple[list[float], list[float], float]:
    """`pullcheck check hello` with the phrases clocked, once per run: the wall time, the wall
    time less the phrases' share, and the median CPU time less the phrases' CPU time."""
    command = [sys.executable, str(Path(__file__).resolve().parent / "phrase_clock.py")]
    command += ["check", "hello"]
    walls, outside, outside_cpu = [], [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = (time.perf_counter() - started) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
        phrase_wall, phrase_cpu = map(float, done.stderr.strip().splitlines()[-1].split()[1:])
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
        walls.append(wall)
        outside.append(wall - phrase_wall)
        outside_cpu.append(cpu - phrase_cpu)
    return walls, outside, statistics.median(outside_cpu)


def check_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m pullcheck.cli`."""
    script = Path(sys.executable).parent / "pullcheck"
    if script.exists():
        return [str(script), "check", "hello"]
    return [sys.executable, "-m", "pullcheck.cli", "check", "hello"]


def reload_ms(edit: Callable[[int], None], poll: Callable[[], bool], rounds: int) -> list[float]:
    """Time of the poll that applies each edit; an edit that does not apply is an error."""
    samples = []
    for index in range(rounds):
        edit(index)
        started = time.perf_counter()
        applied = poll()
        samples.append((time.perf_counter() - started) * 1000)
        if not applied:
            raise SystemExit(f"edit {index} was not applied by the poll")
    return samples


def rewrite(path: Path, text: str, index: int) -> None:
    """Write `text` and move the mtime forward, so a coarse clock still shows a change."""
    path.write_text(text, encoding="utf-8")
    later = time.time_ns() + (index + 1) * 1_000_000_000
    os.utime(path, ns=(later, later))


def verdict(median: float) -> str:
    return "ok" if median <= BUDGET_MS else "OVER"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="process starts per command")
    parser.add_argument("--reloads", type=int, default=11, help="edits per kind of reload")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pullcheck-startup-") as folder_name:
        folder = Path(folder_name)
        # Never read or touch the real user's config and data.
        os.environ["PULLCHECK_DATA_DIR"] = str(folder / "data")
        os.environ["PULLCHECK_CONFIG"] = str(folder / "none.yaml")
        # A cache of its own: the first start stores the built pack (`pullcheck.pack_store`).
        cache = folder / "cache"
        os.environ["XDG_CACHE_HOME"] = str(cache)
        env = {**os.environ}
        # As installed by pip, whose install compiles the bytecode: with PYTHONDONTWRITEBYTECODE
        # set (some sandboxes and CI images set it), an editable checkout compiled every module
        # of pullcheck again at each start, 60-80 ms of it that no user pays.
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        baseline, python_cpu = wall_ms([sys.executable, "-c", "pass"], env, args.runs)
        cold, cold_cpu = wall_ms(
            check_command(), env, args.runs, lambda: shutil.rmtree(cache, ignore_errors=True)
        )
        check, check_cpu = wall_ms(check_command(), env, args.runs)
        clocked, outside, outside_cpu = outside_phrases_ms(env, args.runs)

        from pullcheck.config_watch import ConfigWatcher

        rules = folder / "my-rules"
        rules.mkdir()
        source = (REPO / "rules" / "PP201-unsolicited-pitch-reply.yaml").read_text("utf-8")
        mine = source.replace("code: PP201", "code: PP901").replace(
            "name: unsolicited-pitch-reply", "name: my-pitch-reply"
        )
        rule_file = rules / "PP901-my-pitch-reply.yaml"
        rule_file.write_text(mine, encoding="utf-8")
        config = folder / "config.yaml"
        base = (
            (REPO / "examples" / "config.yaml")
            .read_text("utf-8")
            .replace("rule_folders: []", "rule_folders: [my-rules]")
        )
        assert "hold_timeout_s: 120" in base, "examples/config.yaml no longer sets hold_timeout_s"
        config.write_text(base, encoding="utf-8")

        started = time.perf_counter()
        watcher = ConfigWatcher(config)
        first_ms = (time.perf_counter() - started) * 1000

        config_edit = reload_ms(
            lambda i: rewrite(
                config, base.replace("hold_timeout_s: 120", f"hold_timeout_s: {60 + i}"), i
            ),
            watcher.poll,
            args.reloads,
        )
        rule_edit = reload_ms(
            lambda i: rewrite(
                rule_file, mine.replace("name: my-pitch-reply", f"name: my-pitch-reply-{i}"), i
            ),
            watcher.poll,
            args.reloads,
        )
        shutil.rmtree(rules)

    python_ms = statistics.median(baseline)
    check_ms = statistics.median(check)
    reload_median = statistics.median(config_edit)
    rule_median = statistics.median(rule_edit)

    def ratio(ms: float) -> str:
        return f"{ms / python_ms:5.1f}x python -c pass"

    print(
        f"{'python -c pass':27} median {python_ms:8.1f} ms  (cpu {python_cpu:.1f} ms; "
        f"{args.runs} runs; the baseline)"
    )
    print(
        f"{CHECK_LABEL:27} median {check_ms:8.1f} ms  = {ratio(check_ms)}  "
        f"(cpu {check_cpu:.1f} ms; min {min(check):.1f}, max {max(check):.1f})  "
        f"budget {BUDGET_MS:.0f} ms: {verdict(check_ms)}"
    )
    cold_ms = statistics.median(cold)
    print(
        f"{'  with no stored pack':27} median {cold_ms:8.1f} ms  = {ratio(cold_ms)}  "
        f"(cpu {cold_cpu:.1f} ms; the first start, and the first after an upgrade: the "
        "shipped pack is built and stored)"
    )
    outside_median = statistics.median(outside)
    print(
        f"{'  outside pullcheck.phrases':27} median {outside_median:8.1f} ms  = "
        f"{ratio(outside_median)}  (cpu {outside_cpu:.1f} ms; the same start less the time "
        f"inside pullcheck.phrases; runs with that clock took {statistics.median(clocked):.1f} ms)"
    )
    print(
        f"{'config reload, config edit':27} median {reload_median:8.1f} ms  = "
        f"{ratio(reload_median)}  ({args.reloads} edits)  "
        f"budget {BUDGET_MS:.0f} ms: {verdict(reload_median)}"
    )
    print(
        f"{'config reload, rule edit':27} median {rule_median:8.1f} ms  = {ratio(rule_median)}"
        f"  ({args.reloads} edits; the rule is read again, the phrase groups reused; no budget)"
    )
    print(
        f"{'first ConfigWatcher load':27}        {first_ms:8.1f} ms  (in-process: rule pack "
        "loaded, examples run)"
    )
    within = check_ms <= BUDGET_MS and reload_median <= BUDGET_MS
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
