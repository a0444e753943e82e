"""`pullcheck rules`: every rule with its code, name, status, severity and state in the active
config; `pullcheck rules CODE` prints one rule's page (as `pullcheck explain CODE`), and
`pullcheck rules --schema` the JSON Schema of a rule file, for editors.

`pullcheck rules --check` runs every rule's examples (the shipped ones and your own folders'),
each rule alone, and every phrase group's, and lists what misbehaves (a flag example's finding
must point at the words its `span` pins): exit 0 when all pass, 1 when one does not."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pullcheck.commands import explain
from pullcheck.commands.explain import find_rule, rule_state
from pullcheck.commands.options import (
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    load_cli_config,
)
from pullcheck.config import Config
from pullcheck.engine_factory import engine_settings
from pullcheck.example_check import ExampleFailure, example_failures
from pullcheck.pack_cache import pack_rules, rule_pack
from pullcheck.phrases import PhraseGroupFile, TranslationFile
from pullcheck.rulebook import RetiredFile, Rule, RulePackError, load_rule_pack


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list every rule and whether the active config has it on",
        description="List every rule: code, name, status, severity after the config, "
        "on/off/shadow. With CODE, print that rule's page (as `pullcheck explain CODE`).",
    )
    parser.add_argument("code", metavar="CODE", nargs="?", help="a rule's code or name")
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument(
        "--schema",
        nargs="?",
        const="rule",
        choices=("rule", "phrases", "retired"),
        help="print the JSON Schema of a rule file (or of a phrase-group or retired-codes "
        "file) for editors: yaml-language-server, VS Code's YAML extension",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run every rule's (or CODE's) and phrase group's examples, shipped and yours; "
        "1 on a failure",
    )
    parser.set_defaults(func=run)


def file_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a pack file, from the models the loader validates it with."""
    if kind == "rule":
        schema = Rule.model_json_schema(by_alias=True)
        title = "pullcheck rule (rules/PPnnn-name.yaml)"
    elif kind == "retired":
        schema = RetiredFile.model_json_schema(by_alias=True)
        title = "pullcheck retired rule codes (rules/retired.yaml)"
    else:
        group = PhraseGroupFile.model_json_schema(by_alias=True)
        translation = TranslationFile.model_json_schema(by_alias=True)
        definitions = {**group.pop("$defs", {}), **translation.pop("$defs", {})}
        schema = {"anyOf": [group, translation], "$defs": definitions}
        title = "pullcheck phrase groups (rules/phrases/*.yaml)"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": title,
    }


def rule_rows(config: Config) -> list[dict[str, str]]:
    """One row per rule, with the config's overrides applied."""
    rows = []
    settings = engine_settings(config)
    for code, rule in sorted(pack_rules(rule_pack(config)).items()):
        override = config.rules.get(code)
        severity = override.severity if override and override.severity else rule.severity
        rows.append(
            {
                "code": code,
                "name": rule.name,
                "status": getattr(rule, "status", "stable"),
                "severity": severity,
                "state": rule_state(rule, settings),
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    if args.schema:
        print(json.dumps(file_schema(args.schema), indent=2))
        return EXIT_OK
    if args.code and not args.check:
        return explain.run(args)
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    if args.check:
        return check(config, args.json, args.code)
    rows = rule_rows(config)
    if args.json:
        print(json.dumps(rows))
        return EXIT_OK
    headers = {
        "code": "CODE",
        "name": "NAME",
        "status": "STATUS",
        "severity": "SEVERITY",
        "state": "STATE",
    }
    widths = {key: max([len(headers[key]), *(len(row[key]) for row in rows)]) for key in headers}
    for row in [headers, *rows]:
        print("  ".join(row[key].ljust(widths[key]) for key in headers).rstrip())
    return EXIT_OK


def check(config: Config, as_json: bool, code: str | None = None) -> int:
    """Every example of the config's pack, the shipped pack's included (with `code`, a code or
    a name: that rule's examples, and every phrase group's)."""
    folders = list(rule_pack(config).folders)
    try:
        pack = load_rule_pack(folders, builtin_examples=True)
    except RulePackError as error:
        failures = [ExampleFailure(error.code or "", error.file, error.reason, error.line)]
        rules = examples = 0
    else:
        chosen = list(pack.rules)
        if code:
            rule = find_rule(pack.by_code, code)
            if rule is None:
                print(
                    f"pullcheck rules: unknown rule '{code}'; `pullcheck rules` lists them all",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            chosen = [rule]
        failures = example_failures(pack, [rule.code for rule in chosen])
        rules = len(chosen)
        examples = sum(len(rule.examples.flag) + len(rule.examples.pass_) for rule in chosen)
    if as_json:
        rows = [
            {
                "code": failure.code,
                "file": str(failure.source or ""),
                "line": failure.line,
                "message": failure.message,
            }
            for failure in failures
        ]
        print(json.dumps({"rules": rules, "examples": examples, "failures": rows}))
    elif failures:
        for failure in failures:
            line = f":{failure.line}" if failure.line is not None else ""
            where = f"{failure.source}{line}: " if failure.source else ""
            print(f"{where}{failure.message}", file=sys.stderr)
    else:
        noun = "rule" if rules == 1 else "rules"
        print(f"{rules} {noun}, {examples} rule examples and every phrase group example: all pass")
    return EXIT_FLAGGED if failures else EXIT_OK
