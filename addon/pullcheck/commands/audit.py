"""`pullcheck audit PATH`: judge every post, reply and DM of an archive export, write a report.

A file we cannot read (truncated, of another kind) is an error with exit code 2, and then no
report is written at all: the report is written to a temporary file beside its destination and
renamed into place only once it is complete.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pullcheck.audit.formats import open_archive
from pullcheck.audit.items import ArchiveError
from pullcheck.audit.report import PLATFORM_NAMES, render_report
from pullcheck.audit.runner import engine_for_audit, run_audit
from pullcheck.audit.summary import AuditSummary, items
from pullcheck.commands.options import EXIT_OK, EXIT_USAGE, add_config_option, load_cli_config
from pullcheck.terminal import printable

DEFAULT_OUT = Path("pullcheck-audit.html")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="audit an archive export (X zip/folder, Mastodon outbox.json, Bluesky .car, "
        "LinkedIn or Reddit data export zip/folder)",
        description="Judge every post, reply and DM of your own archive export and write an "
        "HTML report: push share per month and per kind, the rules that fire most, the worst "
        "examples with their pull alternatives.",
    )
    parser.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="X archive (zip or folder), Mastodon outbox.json (or its export "
        "zip/folder), Bluesky repository .car file, or a LinkedIn or Reddit "
        "data export (zip or folder)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="FILE",
        help=f"where to write the HTML report (default: {DEFAULT_OUT})",
    )
    add_config_option(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON instead of text"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    out: Path = args.out
    if not out.parent.resolve().is_dir():
        print(f"pullcheck audit: {out.parent}: no such folder for the report", file=sys.stderr)
        return EXIT_USAGE
    try:
        archive = open_archive(args.path)
    except ArchiveError as error:
        print(f"pullcheck audit: {error}", file=sys.stderr)
        return EXIT_USAGE
    summary = run_audit(archive, engine_for_audit(config), progress_stream=sys.stderr)
    try:
        _write_atomically(out, render_report(summary))
    except OSError as error:
        print(f"pullcheck audit: cannot write {out}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps({**summary.to_dict(), "report": str(out)}, indent=2))
    else:
        print(_text_summary(summary, out))
    return EXIT_OK


def _write_atomically(out: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent.resolve())
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _text_summary(summary: AuditSummary, out: Path) -> str:
    # The owner's name, rule names and error texts come from the archive: shown, never obeyed.
    platform = printable(PLATFORM_NAMES.get(summary.platform, summary.platform))
    owner = f" ({printable(summary.owner)})" if summary.owner else ""
    lines = [
        f"Audited {summary.total:,} items from your {platform} archive{owner} "
        f"in {summary.elapsed_s:.1f} s.",
        f"Push: {summary.push:,} items ({100 * summary.share:.1f}%) flagged at warning or above.",
    ]
    if summary.kinds:
        kinds = ", ".join(
            f"{printable(kind)} {t.push:,}/{t.total:,}" for kind, t in sorted(summary.kinds.items())
        )
        lines.append(f"By kind (push/all): {kinds}.")
    rules = summary.top_rules(3)
    if rules:
        lines.append(
            "Rules that fire most: "
            + ", ".join(f"{printable(r.code)} {printable(r.name)} ({r.count:,})" for r in rules)
            + "."
        )
    if summary.skipped:
        verb = "is" if summary.skipped == 1 else "are"
        lines.append(f"Left out {items(summary.skipped)} that {verb} not your own writing.")
    if summary.unjudged:
        lines.append(
            f"Could not judge {items(summary.unjudged)}; first: {printable(summary.first_error)}"
        )
    lines.append(f"Report: {out}")
    return "\n".join(lines)
