"""`pullcheck check`: judge one draft from the command line, the way the proxy would."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from pullcheck.commands.options import (
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    add_fail_on_option,
    load_cli_config,
)
from pullcheck.config import ConfigError
from pullcheck.context_facts import read_facts
from pullcheck.engine_factory import build_engine
from pullcheck.excerpt import excerpt
from pullcheck.models import Draft, Kind, ReplyTarget, Verdict
from pullcheck.models import Finding as FindingModel

WIDTH = 96
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="judge one draft and show why it reads as push",
        description="Judge one draft. Exit 0 when nothing reaches --fail-on, 1 when something "
        "does, 2 on bad usage or an invalid config.",
        epilog="example: pullcheck check --kind reply --parent 'Nice sunset!' "
        "'Check out my photo shop: shop.example'",
    )
    parser.add_argument(
        "text",
        nargs="?",
        default="-",
        metavar="TEXT",
        help="the draft; '-' or nothing reads it from standard input",
    )
    parser.add_argument("--kind", choices=KINDS, default="post", help="default: post")
    parser.add_argument(
        "--parent", metavar="TEXT", help="the post this draft answers (what they wrote)"
    )
    parser.add_argument("--parent-author", metavar="HANDLE", help="who wrote the parent")
    parser.add_argument(
        "--platform",
        default="other",
        help="x, mastodon, bluesky, linkedin, reddit, ... (default: other)",
    )
    parser.add_argument(
        "--recipient",
        action="append",
        default=[],
        metavar="HANDLE",
        help="who receives it (a DM); repeat for several",
    )
    parser.add_argument(
        "--new-follower",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the recipient just followed or connected with you (or not); unknown when not given",
    )
    parser.add_argument(
        "--prior-conversation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="you have talked with the recipient before (or not); unknown when not given",
    )
    parser.add_argument(
        "--context",
        default="",
        help="what the proxy would know, as facts separated by ';': 'new "
        "follower', 'no prior conversation', 'they wrote first', 'writer is "
        "@H', 'parent addressed @H', 'r/smallbusiness' (flags above win)",
    )
    parser.add_argument(
        "--me",
        metavar="HANDLE",
        help="your own handle on this site (default: the config's me:); a reply "
        "to a post that addressed you answers your own customer",
    )
    add_config_option(parser)
    add_fail_on_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def draft_from_args(args: argparse.Namespace, text: str) -> Draft:
    facts = read_facts(args.context)
    reply_to = None
    if args.parent is not None or args.parent_author or facts.addressed:
        reply_to = ReplyTarget(
            author=args.parent_author, text=args.parent, addressed=tuple(facts.addressed)
        )
    me = getattr(args, "me", None)
    return Draft(
        platform=args.platform,
        kind=args.kind,
        text=text,
        author=me.lstrip("@").lower() if me else facts.writer,
        reply_to=reply_to,
        recipients=list(args.recipient),
        recipient_is_new_follower=(
            args.new_follower if args.new_follower is not None else facts.new_follower
        ),
        prior_conversation=(
            args.prior_conversation
            if args.prior_conversation is not None
            else facts.prior_conversation
        ),
        context=args.context,
    )


def run(args: argparse.Namespace) -> int:
    if args.text == "-" and sys.stdin.isatty():
        print("pullcheck check: type the draft, then Ctrl-D", file=sys.stderr)
    text = sys.stdin.read() if args.text == "-" else args.text
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    try:
        engine = build_engine(config)
    except ConfigError as error:
        print(f"pullcheck: invalid config\n{error}", file=sys.stderr)
        return EXIT_USAGE
    draft = draft_from_args(args, text)
    verdict = engine.judge(draft)
    if args.json:
        print(json.dumps(verdict_json(verdict), ensure_ascii=False))
    else:
        print(render_verdict(draft, verdict))
    return EXIT_FLAGGED if verdict.reaches(args.fail_on) else EXIT_OK


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "level": verdict.level,
        "score": verdict.score,
        "findings": [
            {
                "code": finding.code,
                "name": finding.name,
                "severity": finding.severity,
                "message": finding.message,
                "span": list(finding.span) if finding.span is not None else None,
                "why": finding.why.strip(),
                "instead": finding.instead.strip(),
            }
            for finding in verdict.findings
        ],
    }


def render_verdict(draft: Draft, verdict: Verdict) -> str:
    lines: list[str] = []
    for finding in verdict.findings:
        lines.extend(render_finding(draft.text, finding))
        lines.append("")
    if not verdict.findings:
        lines.append("No push found.")
    lines.append(f"level: {verdict.level}   push score: {verdict.score}/100")
    return "\n".join(lines)


def render_finding(text: str, finding: FindingModel) -> list[str]:
    lines = [f"{finding.severity}: {finding.code} {finding.name}", f"  {finding.message}"]
    shown = excerpt(text, finding.span)
    if shown:
        lines.append(f"  | {shown}")
    elif finding.trigger:
        lines.append(f"  | «{finding.trigger}»")
    for label, text in (("why", finding.why), ("instead", finding.instead)):
        if text.strip():
            lines.append(
                textwrap.fill(
                    " ".join(text.split()),
                    WIDTH,
                    initial_indent=f"  {label}: ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
    return lines
