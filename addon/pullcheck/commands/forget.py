"""`pullcheck forget`: wipe the sent log (what the link-blast rule remembers of your sends)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE
from pullcheck.config import data_dir
from pullcheck.sentlog import FILE_NAME, SqliteSentLog

EXIT_DECLINED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forget",
        help="wipe the sent log",
        description="Delete every record of sent messages (time, site, kind, recipients, link "
        "domains, similarity signatures). The link-blast rule starts from nothing afterwards. "
        "A running proxy sees the wipe at once.",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--data-dir", metavar="DIR", type=Path,
                        help="where the sent log lives (default: $PULLCHECK_DATA_DIR or "
                        "~/.local/share/pullcheck)")
    parser.set_defaults(func=forget)


def forget(args: argparse.Namespace) -> int:
    folder = args.data_dir.expanduser() if args.data_dir else data_dir()
    path = folder / FILE_NAME
    if not path.exists():
        print(f"pullcheck forget: no sent log at {path}; nothing to forget")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            print("pullcheck forget: not a terminal; pass --yes to wipe without asking",
                  file=sys.stderr)
            return EXIT_USAGE
        answer = input(f"Wipe the sent log at {path}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("pullcheck forget: kept")
            return EXIT_DECLINED
    log = SqliteSentLog(path, retention_days=3650)
    try:
        count = log.forget()
    finally:
        log.close()
    print(f"pullcheck forget: wiped {count} record(s) from {path}")
    return EXIT_OK
