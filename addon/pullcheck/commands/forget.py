"""`pullcheck forget`: wipe the sent log (what the link-blast rule remembers of your sends), and
with `--all` everything else pullcheck keeps about your use: your numbers, pull opportunities
and the audit log."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pullcheck.auditlog import DEFAULT_FILE_NAME as AUDIT_FILE_NAME
from pullcheck.commands.options import EXIT_OK, EXIT_USAGE, add_config_option, load_cli_config
from pullcheck.opportunities import FILENAME as OPPORTUNITIES_FILE_NAME
from pullcheck.opportunities import OpportunityLog
from pullcheck.places import data_dir
from pullcheck.sentlog import FILE_NAME as SENT_LOG_FILE_NAME
from pullcheck.sentlog import SqliteSentLog
from pullcheck.stats import FILENAME as STATS_FILE_NAME
from pullcheck.stats import StatsStore

EXIT_DECLINED = 1


@dataclass(frozen=True)
class Store:
    """One thing pullcheck keeps on disk, and how to empty it (returns what it says it did)."""

    label: str
    path: Path
    wipe: Callable[[Path], str]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forget",
        help="wipe the sent log (--all: everything pullcheck keeps)",
        description="Delete every record of sent messages (time, site, kind, recipients, link "
        "domains, similarity signatures): the link-blast rule starts from nothing. With "
        '--all, also your numbers, the pull opportunities and the audit log. The "Not '
        'push" list is a setting and stays (it is notpush.yaml in the data folder). A '
        "running proxy sees the wipe at once, except the opportunities it spotted since it "
        "started, which it shows until it stops.",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="also wipe your numbers, pull opportunities and the audit log",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="the data folder (default: $PULLCHECK_DATA_DIR or ~/.local/share/pullcheck)",
    )
    add_config_option(parser)
    parser.set_defaults(func=forget)


def forget(args: argparse.Namespace) -> int:
    folder = args.data_dir.expanduser() if args.data_dir else data_dir()
    stores = [Store("sent log", folder / SENT_LOG_FILE_NAME, _wipe_sent_log)]
    if args.all:
        audit = _audit_path(args, folder)
        if audit is None:
            return EXIT_USAGE
        stores += [
            Store("your numbers", folder / STATS_FILE_NAME, _wipe_store(StatsStore)),
            Store(
                "pull opportunities", folder / OPPORTUNITIES_FILE_NAME, _wipe_store(OpportunityLog)
            ),
            Store("audit log", audit, _delete),
            # The file the audit log rotated out when it was full (it holds text too).
            Store("audit log (previous)", audit.with_name(audit.name + ".1"), _delete),
        ]
    present = [store for store in stores if store.path.exists()]
    if not present:
        print(f"pullcheck forget: nothing to forget in {folder}")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "pullcheck forget: not a terminal; pass --yes to wipe without asking",
                file=sys.stderr,
            )
            return EXIT_USAGE
        listed = "\n".join(f"  {store.label}: {store.path}" for store in present)
        answer = input(f"Wipe\n{listed}\n? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("pullcheck forget: kept")
            return EXIT_DECLINED
    for store in present:
        print(f"pullcheck forget: {store.label}: {store.wipe(store.path)} ({store.path})")
    return EXIT_OK


def _audit_path(args: argparse.Namespace, folder: Path) -> Path | None:
    """Where the audit log is: the config's `audit_log.path`, else the data folder's file.
    None (after printing why) when the config is invalid."""
    config = load_cli_config(args)
    if config is None:
        return None
    return config.audit_log.path or folder / AUDIT_FILE_NAME


def _wipe_sent_log(path: Path) -> str:
    log = SqliteSentLog(path, retention_days=3650)
    try:
        return f"wiped {log.forget()} record(s)"
    finally:
        log.close()


def _wipe_store(opens: Callable[[Path], StatsStore | OpportunityLog]) -> Callable[[Path], str]:
    """Empty a store that can `forget()` everything it holds."""

    def wipe(path: Path) -> str:
        store = opens(path)
        try:
            store.forget()
        finally:
            store.close()
        return "wiped"

    return wipe


def _delete(path: Path) -> str:
    # The audit log holds draft text: the file goes, not just its lines.
    path.unlink()
    return "deleted"
