"""`pullcheck stats`: your own numbers in the terminal (the dashboard's figures, as text).

The headline is the share of held posts that were revised rather than sent anyway.
"""

from __future__ import annotations

import argparse
import json

from pullcheck.dashboard import FIGURES
from pullcheck.places import data_dir
from pullcheck.stats import StatsSummary, read_summary
from pullcheck.terminal import printable

SPARKS = " ▁▂▃▄▅▆▇█"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="your numbers: drafts checked, warnings, held posts revised, rules that fire most",
        description="Counts kept by the proxy (no draft text): drafts checked, warnings shown, "
        "held posts sent anyway versus edited, rules that fire most, 'not push' overrides and "
        "opportunities. The same figures are on http://pullcheck.localhost/ while the proxy "
        "runs.",
    )
    parser.add_argument(
        "--days",
        type=_positive,
        default=30,
        metavar="N",
        help="how many days back, today included (default: 30)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=run)


def _positive(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 3660:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 3660")
    return number


def run(args: argparse.Namespace) -> int:
    summary = read_summary(data_dir(), args.days)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(render_text(summary))
    return 0


def render_text(summary: StatsSummary) -> str:
    lines = [
        f"Your numbers, {summary.first_day} to {summary.last_day} (UTC); counts only.",
        "A draft counts once, however many times the banner checked it while you typed.",
        "",
    ]
    share = summary.revised_share
    if share is None:
        lines.append("  Held posts revised: none decided yet (held posts need mode: hold).")
    else:
        extra = (
            f"; {summary.totals['timed_out']:,} more got no answer and were not sent"
            if summary.totals["timed_out"]
            else ""
        )
        lines.append(
            f"  Held posts revised: {100 * share:.0f}% ({summary.totals['edited']:,} "
            f"edited, {summary.totals['sent_anyway']:,} sent anyway{extra})"
        )
    lines.append("")
    width = max(len(label) for _, label in FIGURES)
    lines += [f"  {label:<{width}}  {summary.totals[event]:>7,}" for event, label in FIGURES]
    days = summary.days()
    checked = [summary.on(day)["draft_checked"] for day in days]
    if any(checked):
        peak = max(checked)
        spark = "".join(SPARKS[round(8 * n / peak)] if n else SPARKS[0] for n in checked)
        lines += ["", f"  drafts checked per day (peak {peak:,}):", f"  |{spark}|"]
    if summary.rules:
        lines += ["", "  Rules that fire most:"]
        lines += [
            f"    {count:>6,}  {printable(summary.rule_label(code))}"
            for code, count in summary.rules.most_common(5)
        ]
    if summary.by_platform:
        lines += ["", "  Per site (checked / warned / held / edited / sent anyway):"]
        for platform, counts in sorted(summary.by_platform.items()):
            figures = " / ".join(
                f"{counts[e]:,}"
                for e in ("draft_checked", "warning_shown", "hold", "edited", "sent_anyway")
            )
            lines.append(f"    {platform:<10} {figures}")
    return "\n".join(lines)
