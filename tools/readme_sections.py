"""Regenerate the README's rule table (from the rule pack), its command-line transcript (from
running the commands) and its accuracy table (from eval).

    python tools/readme_sections.py                # rewrite all three in README.md
    python tools/readme_sections.py --rules-only   # leave the accuracy table (fast, no corpora)
    python tools/readme_sections.py --check        # exit 1 when the README's rule table is stale

A development tool, not part of the installed package: it needs the repository (README.md, and
the corpora in ../shared/corpora beside the clone) and an installed `pullcheck` to import.

The same YAML that drives the engine, its tests and `pullcheck explain` is the only source of the
rule table, so the README cannot drift from the pack (a test runs `--check`). Each table sits
between `<!-- rules:start -->`/`<!-- rules:end -->` (or `accuracy:`) markers below its section
anchor; the markers are added under the anchor the first time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pullcheck.config import Config
from pullcheck.engine_factory import build_engine
from pullcheck.history import InMemorySentHistory
from pullcheck.pack_cache import pack_rules, rule_pack

REPO = Path(__file__).resolve().parents[1]
DEFAULT_README = REPO / "README.md"
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DOCS_COMMAND = "python tools/readme_sections.py"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _kinds_of(when: Any) -> set[str] | None:
    """Draft kinds a condition tree can match; None when some branch accepts any kind."""
    if when is None:
        return None
    kinds = getattr(when, "kinds", None)
    nested = getattr(when, "any_of", None) or []
    if kinds:
        return set(kinds)
    if not nested:
        return None
    union: set[str] = set()
    for branch in nested:
        branch_kinds = _kinds_of(branch)
        if branch_kinds is None:
            return None
        union |= branch_kinds
    return union


def _kinds(rule: Any) -> str:
    kinds = _kinds_of(getattr(rule, "when", None))
    return "any" if not kinds else ", ".join(sorted(kinds))


def rule_summary(rule: Any) -> str:
    """One line saying what the rule flags: its short card text, else its message."""
    return str(getattr(rule, "short", None) or getattr(rule, "message", ""))


def _status(rule: Any) -> str:
    status = str(getattr(rule, "status", "stable"))
    replaced_by = getattr(rule, "replaced_by", None)
    return f"{status} (use `{replaced_by}`)" if replaced_by else status


def _links(rule: Any) -> str:
    """The rule's references as Markdown links, or a dash."""
    links = list(getattr(rule, "links", None) or [])
    return " · ".join(f"[{_cell(link.title)}]({link.url})" for link in links) or "-"


def rules_table(pack: Any) -> str:
    rows = [
        f"Generated from `rules/*.yaml` by `{DOCS_COMMAND}`; `pullcheck explain CODE` (or "
        "`pullcheck rules CODE`) prints a rule's page. Preview rules run only when your config "
        "turns them on; deprecated ones still run.",
        "",
        "| code | name | status | severity | drafts | what it flags | references |",
        "|---|---|---|---|---|---|---|",
    ]
    for code, rule in sorted(pack_rules(pack).items()):
        shadow = " (shadow)" if getattr(rule, "shadow", False) else ""
        rows.append(
            f"| `{code}` | {_cell(rule.name)} | {_status(rule)} | {rule.severity}{shadow} "
            f"| {_cell(_kinds(rule))} | {_cell(rule_summary(rule))} | {_links(rule)} |"
        )
    retired = sorted(getattr(pack, "retired", {}).values(), key=lambda entry: entry.code)
    if retired:
        rows += [
            "",
            "Removed rules (their codes stay reserved; a config cannot turn them on):",
            "",
            "| code | name | removed | why |",
            "|---|---|---|---|",
        ]
        for entry in retired:
            why = _cell(entry.reason)
            if entry.replaced_by:
                why += f" Use `{entry.replaced_by}`."
            rows.append(
                f"| `{entry.code}` | {_cell(entry.name)} | {entry.removed_in or '-'} | {why} |"
            )
    return "\n".join(rows)


def _rate(value: float | None, places: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def _overall_row(name: str, half: str, m: dict[str, Any]) -> str:
    accuracy = (m["tp"] + m["tn"]) / m["rows"] if m["rows"] else None
    return (
        f"| {name} | {half} | {m['rows']} | {_rate(m['precision'])} | {_rate(m['recall'])} "
        f"| {_rate(m['f1'])} | {_rate(m['false_positive_rate'], 4)} | {_rate(accuracy)} "
        f"| {m['tp']} | {m['fp']} | {m['tn']} | {m['fn']} |"
    )


def accuracy_tables(results: dict[str, dict[str, Any]], fail_on: str) -> str:
    """Overall figures per corpus (both halves together, then the tune and the check half),
    then per rule, from `run_accuracy` results by corpus name."""
    lines = [
        f"Measured by `{DOCS_COMMAND}`, which runs `pullcheck eval CORPUS.csv --fail-on {fail_on} "
        "--half tune` and `--half check` on every CSV in `../shared/corpora` (see its README for "
        "the sources); a row is flagged when its verdict reaches "
        f"`{fail_on}`. Rows split into halves by a hash of their id: rules and phrases are tuned "
        "on the tune half and earn their place by what they gain on the check half, so the "
        "check half is the figure to trust.",
        "",
        "| corpus | half | rows | precision | recall | F1 | false-positive rate | accuracy "
        "| TP | FP | TN | FN |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        lines.append(_overall_row(name, "both", result["overall"]))
        for half, metrics in result.get("halves", {}).items():
            lines.append(_overall_row(name, half, metrics))
    lines += [
        "",
        "Per rule, both halves (a rule counts as flagging a row when it fires and the verdict "
        f"reaches `{fail_on}`):",
        "",
        "| corpus | rule | TP | FP | precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for code, m in sorted(result["rules"].items()):
            if m["tp"] + m["fp"] == 0:
                continue
            lines.append(
                f"| {name} | `{code}` | {m['tp']} | {m['fp']} | {_rate(m['precision'])} "
                f"| {_rate(m['recall'])} |"
            )
    return "\n".join(lines)


def _summed(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of the rows of several results together, from their counts."""
    from pullcheck.evaluate import Counts

    counts = Counts(*(sum(part[key] for part in parts) for key in ("tp", "fp", "tn", "fn")))
    return counts.metrics()


def run_accuracy(corpora: Path, config: Config, fail_on: str) -> dict[str, dict[str, Any]]:
    """Per corpus: `halves` (tune, check: overall metrics each), and `overall` and `rules`
    for both halves together."""
    from pullcheck.evaluate import HALVES, evaluate_file

    results: dict[str, dict[str, Any]] = {}
    for csv_path in sorted(corpora.glob("*.csv")):
        by_half: dict[str, dict[str, Any]] = {}
        for half in HALVES:
            # A fresh engine (and history) per run: one corpus' messages must not count as
            # "already sent" in another.
            engine = build_engine(config, InMemorySentHistory())
            by_half[half] = evaluate_file(csv_path, engine, fail_on=fail_on, half=half)
        codes = sorted({code for result in by_half.values() for code in result["rules"]})
        results[csv_path.stem] = {
            "overall": _summed([result["overall"] for result in by_half.values()]),
            "rules": {
                code: _summed(
                    [
                        result["rules"][code]
                        for result in by_half.values()
                        if code in result["rules"]
                    ]
                )
                for code in codes
            },
            "halves": {half: result["overall"] for half, result in by_half.items()},
        }
    return results


# Commands shown in the README's command-line section, run for real when the README is made so
# the output printed there is the output you get.
CLI_EXAMPLES: tuple[tuple[str, ...], ...] = (
    (
        "check",
        "--kind",
        "reply",
        "--parent",
        "Sunset over the harbour tonight",
        "Nice photo! Our agency builds websites like this, hire us: acme-web.example",
    ),
    (
        "check",
        "--kind",
        "reply",
        "--parent",
        "I'm looking for a widget seller in Albania",
        "We sell widgets in Tirana and ship across Albania: acme.example",
    ),
    (
        "check",
        "--json",
        "--kind",
        "dm",
        "--no-prior-conversation",
        "We offer SEO audits at 50% off",
    ),
    (
        "check",
        "--kind",
        "reply",
        "--parent",
        "Just adopted a puppy, any tips for the first week?",
        "Cute! Our agency builds websites, hire us: acme.example",
    ),
)


def cli_examples() -> str:
    """A console transcript of CLI_EXAMPLES with the built-in rules and default config."""
    import contextlib
    import io
    import os
    import shlex
    import tempfile

    from pullcheck.cli import main as cli_main

    lines = ["```console"]
    with tempfile.TemporaryDirectory() as folder:
        saved = {name: os.environ.get(name) for name in ("PULLCHECK_CONFIG", "PULLCHECK_DATA_DIR")}
        # The defaults, not whatever config the person regenerating the README has.
        os.environ["PULLCHECK_CONFIG"] = str(Path(folder) / "none.yaml")
        os.environ["PULLCHECK_DATA_DIR"] = folder
        try:
            for argv in CLI_EXAMPLES:
                output = io.StringIO()
                with contextlib.redirect_stdout(output):
                    code = cli_main(list(argv))
                lines.append(_command_line(["pullcheck", *argv], shlex.quote))
                lines.append(output.getvalue().rstrip("\n"))
                lines.append(f"$ echo $?\n{code}")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    lines.append("```")
    return "\n".join(lines)


def _command_line(argv: list[str], quote: Any, width: int = 96) -> str:
    """`$ command` folded with backslashes so a README line stays readable."""
    lines: list[str] = []
    current = "$"
    for word in (quote(arg) if "'" not in arg else '"' + arg + '"' for arg in argv):
        if len(current) + 1 + len(word) > width and current not in ("$", "   "):
            lines.append(current + " \\")
            current = "   "
        current += " " + word
    lines.append(current)
    return "\n".join(lines)


def replace_block(text: str, name: str, anchor: str, content: str) -> str:
    """Put `content` between the `name` markers, adding them under `anchor` the first time."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{content}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        return head + block + tail
    at = text.find(f"<!-- section:{anchor}")
    if at < 0:
        raise ValueError(f"README has no <!-- section:{anchor} ... --> anchor")
    line_end = text.index("\n", at) + 1 if "\n" in text[at:] else len(text)
    return text[:line_end] + "\n" + block + "\n" + text[line_end:]


def current_block(text: str, name: str) -> str | None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=DOCS_COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=DEFAULT_README)
    parser.add_argument(
        "--corpora",
        type=Path,
        default=DEFAULT_CORPORA,
        help="folder of labelled CSV files (default: ../shared/corpora)",
    )
    parser.add_argument("--fail-on", choices=("info", "warning", "error"), default="warning")
    parser.add_argument("--rules-only", action="store_true", help="leave the accuracy table")
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if the rule table is out of date",
    )
    args = parser.parse_args(argv)

    config = Config()  # the built-in pack and defaults, never the user's own config
    table = rules_table(rule_pack(config))
    text = args.readme.read_text(encoding="utf-8")
    if args.check:
        if current_block(text, "rules") != table:
            print(
                f"{args.readme}: the rule table is out of date; run `{DOCS_COMMAND}`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.readme}: the rule table matches the rule pack")
        return 0
    text = replace_block(text, "rules", "rules", table)
    text = replace_block(text, "cli-examples", "cli", cli_examples())
    if not args.rules_only:
        if not args.corpora.is_dir():
            print(f"no corpora folder at {args.corpora}", file=sys.stderr)
            return 2
        results = run_accuracy(args.corpora, config, args.fail_on)
        text = replace_block(text, "accuracy", "accuracy", accuracy_tables(results, args.fail_on))
    args.readme.write_text(text, encoding="utf-8")
    print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
