"""`pullcheck explain CODE`: a rule's page, Ruff-style, written from the rule's own YAML.

Headings: What it does / Why is this bad? / Example (drafts it flags) / Use instead (the pull
alternative, and drafts that pass) / Known problems / Settings (parameters with their defaults
and the active config's values).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TYPE_CHECKING

from pullcheck.commands.options import EXIT_OK, EXIT_USAGE, add_config_option, load_cli_config
from pullcheck.config import Config
from pullcheck.config_errors import closest
from pullcheck.engine import EngineSettings, rule_runs, rule_shadowed
from pullcheck.engine_factory import engine_settings
from pullcheck.pack_cache import pack_rules, rule_pack

if TYPE_CHECKING:
    from pullcheck.rulebook import Example, Rule

WIDTH = 92


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show a rule's page: what, why, examples, what to do instead",
        description="Print a rule's documentation. CODE is a code (PP201) or a name "
        "(unsolicited-pitch-reply). Exit 2 for an unknown rule.",
    )
    parser.add_argument("code", metavar="CODE")
    add_config_option(parser)
    parser.set_defaults(func=run)


def rule_state(rule: Rule, settings: EngineSettings) -> str:
    """on, off or shadow: the rule as the engine runs it with the config's `settings` (a preview
    rule is off unless the config turns it on or shadows it)."""
    if not rule_runs(rule, settings):
        return "off"
    return "shadow" if rule_shadowed(rule, settings) else "on"


def find_rule(rules: dict[str, Rule], wanted: str) -> Rule | None:
    rule = rules.get(wanted.upper())
    if rule is None:
        rule = next((r for r in rules.values() if r.name == wanted.lower()), None)
    return rule


def run(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    rules = pack_rules(rule_pack(config))
    rule = find_rule(rules, args.code)
    if rule is None:
        names = {r.name: code for code, r in rules.items()}
        guess = closest(args.code.upper(), rules) or closest(args.code, names)
        hint = f" (did you mean '{guess}'?)" if guess else ""
        print(
            f"pullcheck explain: unknown rule '{args.code}'{hint}; `pullcheck rules` lists "
            "them all",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(rule_page(rule, config))
    return EXIT_OK


def _para(text: str, indent: str = "") -> str:
    paragraphs = [" ".join(part.split()) for part in str(text).strip().split("\n\n")]
    return "\n\n".join(
        textwrap.fill(
            part,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for part in paragraphs
        if part
    )


def describe_situation(example: Example) -> str:
    """The circumstances of an example in words: what kind of draft, to whom, answering what."""
    kind = example.kind
    parts: list[str] = [kind if kind != "connect-note" else "connection note"]
    parent = example.parent
    if parent:
        author = example.parent_author
        parts.append(f'answering {"@" + author + " " if author else ""}"{parent}"')
    recipients = example.recipients
    if recipients:
        parts.append("to " + ", ".join(recipients))
    if example.new_follower:
        parts.append("to someone who just followed you")
    if example.prior_conversation is True:
        parts.append("in an existing conversation")
    elif example.prior_conversation is False:
        parts.append("first contact")
    sent = example.sent_before
    if sent:
        parts.append(f"after sending near-identical messages to {len(sent)} people")
    context = example.context
    if context:
        parts.append(f"({context})")
    return ", ".join(parts)


def _examples(examples: list[Example]) -> list[str]:
    lines: list[str] = []
    for example in examples:
        lines.append(f"  {describe_situation(example)}:")
        lines.append(_para(example.text, indent="      "))
        note = example.note
        if note:
            lines.append(_para(f"({note})", indent="      "))
    return lines


def rule_page(rule: Rule, config: Config) -> str:
    override = config.rules.get(rule.code)
    severity = override.severity if override and override.severity else rule.severity
    status = rule.status
    state = {
        "on": "on",
        "shadow": "shadow (counted, not shown)",
        "off": "off in your config",
    }[rule_state(rule, engine_settings(config))]
    switched_off = bool(override and override.enabled is False)
    if state.startswith("off") and status == "preview" and not switched_off:
        state = "off (preview: turn it on in the config)"
    what = rule.what_it_does
    lines = [
        f"{rule.code} {rule.name}",
        f"Status: {status} · severity: {severity} · weight {rule.weight:g} · "
        f"{rule.effect} signal · {state}",
        *_status_note(rule, status),
        "",
        "## What it does",
        _para(what),
        "",
        # `{reason}` is filled in per draft ("They asked about pets; this offers web design.").
        'Message shown: "'
        + " ".join(rule.message.split()).replace("{reason}", "<why, for this draft>")
        + '"',
        "",
        "## Why is this bad?",
        _para(rule.why),
        "",
        "## Example",
        "Flagged:",
        *_examples(list(rule.examples.flag)),
        "",
        "## Use instead",
        _para(rule.instead),
        "",
        "Passes:",
        *_examples(list(rule.examples.pass_)),
        "",
        "## Known problems",
        _para(rule.known_problems) if rule.known_problems else "None known.",
        "",
        "## Settings",
    ]
    params = dict(rule.params)
    chosen = dict(override.params) if override else {}
    if params:
        for name, default in sorted(params.items()):
            now = f" (your config: {chosen[name]})" if name in chosen else ""
            lines.append(f"  {name} = {default}{now}")
        example_name, example_value = sorted(params.items())[0]
        lines.append("")
        lines.append(
            f"Change one in the config: rules: {{{rule.code}: {{params: "
            f"{{{example_name}: {example_value}}}}}}}"
        )
    else:
        lines.append("  No parameters.")
    switch = (
        f"Turn it on with `rules: {{{rule.code}: on}}` (or `shadow` to count it unseen)"
        if status == "preview"
        else f"Switch it off with `rules: {{{rule.code}: off}}`"
    )
    lines.append(f"{switch}; change its severity with `rules: {{{rule.code}: info}}`.")
    lines += ["", "## References", *_references(rule)]
    return "\n".join(lines)


def _status_note(rule: Rule, status: str) -> list[str]:
    """A line under the heading for a rule that is not stable."""
    if status == "preview":
        return ["Preview: new and still being measured; it runs only when your config turns it on."]
    if status == "deprecated":
        instead = rule.replaced_by
        return [
            "Deprecated: it still runs, but will be removed"
            + (f"; {instead} does its job." if instead else ".")
        ]
    return []


def _references(rule: Rule) -> list[str]:
    links = list(rule.links)
    if not links:
        return ["  None listed."]
    return [f"  - {link.title}: {link.url}" for link in links]
