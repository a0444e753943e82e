"""The `pullcheck` command line: a thin dispatcher over `pullcheck.commands`."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from pullcheck import __version__
from pullcheck.commands import COMMANDS, REGISTERED_BY

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a killed writer
# Commands that read and print, and write nothing else: see `console`.
PRINT_ONLY = frozenset({"check", "explain", "rules"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command, or only of `command` when it names one.

    A command's module is imported here, where the CLI dispatches, and only the one the command
    line names: the others bring the audit readers, the proxy and mitmproxy, which cost more
    than `pullcheck check`'s whole 300 ms start-up budget (issue 13). `--help` and a mistyped
    command still see them all."""
    parser = argparse.ArgumentParser(
        prog="pullcheck",
        description="Catch push marketing in social-media drafts; nudge toward pull.",
    )
    parser.add_argument("--version", action="version", version=f"pullcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [command] if command in COMMANDS else COMMANDS:
        importlib.import_module(f"pullcheck.commands.{name}").register(subparsers)
    return parser


def named_command(argv: Sequence[str]) -> str | None:
    """The module of the sub-command named by the first word (`pullcheck check ...`,
    `pullcheck decide ...` is the holds module's), else None: after an option such as `-h` the
    whole parser must answer."""
    if not argv:
        return None
    module = REGISTERED_BY.get(argv[0], argv[0])
    return module if module in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(named_command(words))
    try:
        args = parser.parse_args(words)
    except SystemExit as exit_:
        # argparse exits 2 on bad usage and 0 on --help; keep both.
        return int(exit_.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (`pullcheck eval ... | head`): stop quietly, as Unix tools do.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def console() -> None:
    """The `pullcheck` console script and `python -m pullcheck.cli`: `main`, then the exit."""
    words = sys.argv[1:]
    print_only = named_command(words) in PRINT_ONLY
    if print_only:
        # A short process that reads and prints: what it builds (its modules' classes, the
        # pack) lives to the exit, and the cyclic collector would only walk it, again and again
        # (15-30 ms of `pullcheck check "hello"`, issue 13). Reference counting still frees
        # everything that is not in a cycle: `pullcheck rules --check`, which judges every
        # example of the pack, peaked 1 MB higher with the collector off.
        gc.disable()
        # pullcheck uses no pydantic plugin, and looking for one reads the metadata of every
        # installed package when the first model is built (8-12 ms with pullcheck's 104).
        # An explicit setting is kept.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = main(words)
    if print_only:
        # The process ends here. Its last garbage collection would walk the rule pack's ~260,000
        # objects and free them one by one: 0.2-0.4 s of `pullcheck check`'s start (issue 13).
        # Frozen, they are left to the operating system. Only for commands that write nothing
        # but their output (which the interpreter still flushes): a frozen object is never
        # finalised, so a file it holds would not be closed.
        gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
