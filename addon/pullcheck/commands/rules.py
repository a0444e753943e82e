"""`pullcheck rules`: every rule with its code, name, severity and state in the active config.

`pullcheck rules --check` runs every rule's examples (the shipped ones and your own folders'),
each rule alone, and every phrase group's, and lists what misbehaves: exit 0 when all pass, 1
when one does not."""

from __future__ import annotations

import argparse
import json
import sys

from pullcheck.commands.options import (
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    load_cli_config,
)
from pullcheck.config import Config
from pullcheck.example_check import ExampleFailure, example_failures
from pullcheck.pack_cache import pack_rules, rule_pack
from pullcheck.rulebook import RulePackError, load_rule_pack


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list every rule and whether the active config has it on",
        description="List every rule: code, name, severity after the config, on/off/shadow.",
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument(
        "--check",
        action="store_true",
        help="run every rule's and phrase group's examples (shipped and yours); 1 on a failure",
    )
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
    if args.check:
        return check(config, args.json)
    rows = rule_rows(config)
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    headers = {"code": "CODE", "name": "NAME", "severity": "SEVERITY", "state": "STATE"}
    widths = {key: max([len(headers[key]), *(len(row[key]) for row in rows)]) for key in headers}
    for row in [headers, *rows]:
        print("  ".join(row[key].ljust(widths[key]) for key in headers).rstrip())
    return EXIT_OK


def check(config: Config, as_json: bool) -> int:
    """Every example of the config's pack, the shipped pack's included."""
    folders = list(rule_pack(config).folders)
    try:
        pack = load_rule_pack(folders, builtin_examples=True)
    except RulePackError as error:
        failures = [ExampleFailure(error.code or "", error.file, error.reason)]
        rules = examples = 0
    else:
        failures = example_failures(pack)
        rules = len(pack.rules)
        examples = sum(len(rule.examples.flag) + len(rule.examples.pass_) for rule in pack.rules)
    if as_json:
        rows = [
            {"code": failure.code, "file": str(failure.source or ""), "message": failure.message}
            for failure in failures
        ]
        print(json.dumps({"rules": rules, "examples": examples, "failures": rows}))
    elif failures:
        for failure in failures:
            where = f"{failure.source}: " if failure.source else ""
            print(f"{where}{failure.message}", file=sys.stderr)
    else:
        print(f"{rules} rules, {examples} rule examples and every phrase group example: all pass")
    return EXIT_FLAGGED if failures else EXIT_OK
