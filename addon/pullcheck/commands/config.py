"""`pullcheck config check|path|init`: validate a config, say where it lives, start one."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE
from pullcheck.commands.rules import rule_rows
from pullcheck.config import ConfigError, load_config
from pullcheck.pack_cache import pack_rules, rule_pack
from pullcheck.places import data_dir, default_config_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="check, locate or create the config file",
        description="Work with pullcheck's YAML config file.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    check = actions.add_parser(
        "check",
        help="validate a config file without running anything",
        description="Validate FILE (and the files it includes). Exit 0 when valid, 2 when not: "
        "each problem is printed as FILE:LINE: key 'k': message (did you mean ...?).",
    )
    check.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="default: the default config path"
    )
    check.set_defaults(func=run_check)

    path = actions.add_parser("path", help="print where the default config file is")
    path.add_argument(
        "--data-dir",
        action="store_true",
        help="print the data folder (sent log, Not-push list) instead",
    )
    path.set_defaults(func=run_path)

    init = actions.add_parser(
        "init",
        help="write a commented starter config (never overwrites)",
        description="Write a commented starter config to FILE (default: the default config "
        "path) unless a file is already there.",
    )
    init.add_argument("file", nargs="?", type=Path, metavar="FILE")
    init.set_defaults(func=run_init)


def run_check(args: argparse.Namespace) -> int:
    path = args.file or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    rules = pack_rules(rule_pack(config))
    included = [source for source in config.sources[1:] if source != config.notpush_path()]
    off = sum(1 for row in rule_rows(config) if row["state"] == "off")
    print(
        f"{path}: ok (mode {config.mode}, hold at {config.hold_at}, "
        f"{len(rules) - off} of {len(rules)} rules on, "
        f"{len(config.allow.handles)} allowed handles, {len(config.allow.domains)} allowed "
        f"domains, {len(included)} included file(s))"
    )
    return EXIT_OK


def run_path(args: argparse.Namespace) -> int:
    if args.data_dir:
        print(data_dir())
        return EXIT_OK
    path = default_config_path()
    print(path)
    if not path.exists():
        print(
            "(no file there yet: the defaults apply; `pullcheck config init` writes one)",
            file=sys.stderr,
        )
    return EXIT_OK


def starter_text() -> str:
    return resources.files("pullcheck").joinpath("starter_config.yaml").read_text("utf-8")


def run_init(args: argparse.Namespace) -> int:
    path: Path = args.file or default_config_path()
    if path.exists():
        print(f"pullcheck: {path} already exists; not overwriting it", file=sys.stderr)
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    # Exclusive create: never clobber a file that appeared since the check above.
    with path.open("x", encoding="utf-8") as file:
        file.write(starter_text())
    print(f"wrote {path}")
    return EXIT_OK
