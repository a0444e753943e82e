"""`pullcheck rules`: every rule with its code, name, severity and state in the active config."""

from __future__ import annotations

import argparse
import json

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE, add_config_option, load_cli_config
from pullcheck.config import Config
from pullcheck.pack_cache import pack_rules, rule_pack


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list every rule and whether the active config has it on",
        description="List every rule: code, name, severity after the config, on/off/shadow.",
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(func=run)


def rule_rows(config: Config) -> list[dict[str, str]]:
    """One row per rule, with the config's overrides applied."""
    rows = []
    for code, rule in sorted(pack_rules(rule_pack(config)).items()):
        override = config.rules.get(code)
        severity = override.severity if override and override.severity else rule.severity
        shadow = bool(getattr(rule, "shadow", False))
        if override and override.shadow is not None:
            shadow = override.shadow
        enabled = not (override and override.enabled is False)
        state = "off" if not enabled else ("shadow" if shadow else "on")
        rows.append({"code": code, "name": rule.name, "severity": severity, "state": state})
    return rows


def run(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    rows = rule_rows(config)
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    headers = {"code": "CODE", "name": "NAME", "severity": "SEVERITY", "state": "STATE"}
    widths = {key: max([len(headers[key]), *(len(row[key]) for row in rows)]) for key in headers}
    for row in [headers, *rows]:
        print("  ".join(row[key].ljust(widths[key]) for key in headers).rstrip())
    return EXIT_OK
