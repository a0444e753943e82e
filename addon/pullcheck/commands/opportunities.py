"""`pullcheck opportunities`: posts the proxy saw that ask for what you offer (config `offer:`).

Lists what is kept on disk: site, post id, author, when, and the offer phrase it matched. The
posts' text is never stored, so it is not listed; open the post on its site to answer it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE, add_config_option, load_cli_config
from pullcheck.opportunities import FILENAME, OpportunityLog
from pullcheck.places import data_dir
from pullcheck.terminal import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "opportunities",
        help="posts that asked for what you offer (pull opportunities seen while browsing)",
        description="Posts seen through the proxy that ask for help or a recommendation and "
        "match a phrase of `offer:` in your config: answer them.",
    )
    parser.add_argument(
        "--days", type=int, default=14, metavar="N", help="how many days back (default: 14)"
    )
    parser.add_argument("--all", action="store_true", help="include dismissed ones")
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.days < 1:
        print("pullcheck opportunities: --days must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    path = data_dir() / FILENAME
    found = []
    if path.exists():
        log = OpportunityLog(path)
        try:
            found = log.listed(since=time.time() - 86400 * args.days, include_dismissed=args.all)
        finally:
            log.close()
    if args.json:
        print(json.dumps([o.public() for o in found], indent=2))
        return EXIT_OK
    if not config.offer:
        print(
            "No `offer:` phrases in your config: add what you offer, for example\n"
            '  offer: ["bookkeeping for small businesses"]'
        )
    if not found:
        print(f"No opportunities in the last {args.days} days.")
        return EXIT_OK
    print(f"{len(found)} opportunities in the last {args.days} days (newest first):")
    for o in found:
        when = datetime.fromtimestamp(o.when, UTC).strftime("%Y-%m-%d %H:%M")
        # Author, id and site came from a website: shown, never obeyed by the terminal.
        print(
            f"  {when}  {printable(o.platform):<9} {printable(o.post_id):<24} "
            f"{printable(o.author or '?'):<20} asks for: {printable(o.phrase)}"
        )
    return EXIT_OK
