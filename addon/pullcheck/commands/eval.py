"""`pullcheck eval FILE.csv`: how well the rules separate push from ok on labelled text.

The corpus format is `../shared/corpora/README.md`'s (columns id, text, label, kind, parent,
context; extra columns ignored). Reading rows and computing the figures is the engine's
`pullcheck.evaluate`; this command only prints them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pullcheck.commands.options import (
    EXIT_OK,
    EXIT_USAGE,
    add_config_option,
    add_fail_on_option,
    load_cli_config,
)
from pullcheck.engine_factory import build_engine
from pullcheck.evaluate import evaluate_file
from pullcheck.history import InMemorySentHistory

METRIC_KEYS = ("precision", "recall", "f1", "false_positive_rate", "tp", "fp", "tn", "fn", "rows")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="precision, recall, F1 and false-positive rate on a labelled CSV",
        description="Judge every row of a labelled corpus (columns id, text, label push|ok, "
        "kind, parent, context) and print precision, recall, F1 and false-positive rate "
        "overall and per rule, and a confusion matrix. A row counts as flagged when its verdict "
        "reaches --fail-on. Exit 0, or 2 on a bad file or config.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv")
    parser.add_argument(
        "--json", action="store_true", help='one object: {"overall": {...}, "rules": {CODE: {...}}}'
    )
    parser.add_argument(
        "--half",
        choices=("tune", "check"),
        help="only the rows of this half (split by a hash of the row id): "
        "tune on one, measure on the other",
    )
    parser.add_argument(
        "--show-misses",
        type=int,
        default=0,
        metavar="N",
        help="print up to N false positives and N false negatives",
    )
    add_fail_on_option(parser)
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.show_misses < 0:
        print("pullcheck eval: --show-misses takes a count of 0 or more", file=sys.stderr)
        return EXIT_USAGE
    if not args.file.is_file():
        print(f"pullcheck eval: no such file: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    config = load_cli_config(args)
    if config is None:
        return EXIT_USAGE
    engine = build_engine(config, InMemorySentHistory())
    try:
        result = evaluate_file(args.file, engine, fail_on=args.fail_on, half=args.half)
    except (ValueError, KeyError, UnicodeDecodeError) as error:
        print(f"pullcheck eval: {args.file}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(metrics_json(result)))
    else:
        print(render_report(args.file, result, args.fail_on, args.half))
    if args.show_misses:
        print(render_misses(result, args.show_misses), file=sys.stdout)
    return EXIT_OK


def _metrics(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values.get(key) for key in METRIC_KEYS}


def metrics_json(result: dict[str, Any]) -> dict[str, Any]:
    """Exactly the documented shape: overall and per-rule metrics, nothing else."""
    return {
        "overall": _metrics(result["overall"]),
        "rules": {code: _metrics(values) for code, values in sorted(result["rules"].items())},
    }


def _rate(value: float | None, places: int = 3) -> str:
    return "  n/a" if value is None else f"{value:.{places}f}"


def render_report(path: Path, result: dict[str, Any], fail_on: str, half: str | None = None) -> str:
    overall = result["overall"]
    header = (
        f"{'':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'FP rate':>8} "
        f"{'TP':>6} {'FP':>6} {'TN':>6} {'FN':>6}"
    )

    def row(name: str, m: dict[str, Any]) -> str:
        return (
            f"{name:<10} {_rate(m['precision']):>9} {_rate(m['recall']):>7} "
            f"{_rate(m['f1']):>6} {_rate(m['false_positive_rate'], 4):>8} "
            f"{m['tp']:>6} {m['fp']:>6} {m['tn']:>6} {m['fn']:>6}"
        )

    which = f" ({half} half)" if half else ""
    lines = [
        f"{path}{which}: {overall['rows']} rows, flagged = verdict reaches {fail_on}",
        "",
        header,
        row("overall", overall),
    ]
    for code, values in sorted(result["rules"].items()):
        lines.append(row(code, values))
    tp, fp, tn, fn = (overall[key] for key in ("tp", "fp", "tn", "fn"))
    width = max(7, *(len(str(n)) for n in (tp, fp, tn, fn)))
    lines += [
        "",
        "confusion matrix",
        f"{'':<12} {'flagged':>{width}} {'passed':>{width}}",
        f"{'label push':<12} {tp:>{width}} {fn:>{width}}",
        f"{'label ok':<12} {fp:>{width}} {tn:>{width}}",
    ]
    return "\n".join(lines)


def _field(miss: Any, name: str, default: Any = "") -> Any:
    if isinstance(miss, dict):
        return miss.get(name, default)
    return getattr(miss, name, default)


def render_misses(result: dict[str, Any], count: int) -> str:
    misses = result.get("misses") or {}
    if isinstance(misses, list):
        groups = {
            "false positives (label ok, flagged)": [
                m for m in misses if _field(m, "label") == "ok"
            ],
            "false negatives (label push, passed)": [
                m for m in misses if _field(m, "label") == "push"
            ],
        }
    else:
        groups = {
            "false positives (label ok, flagged)": list(misses.get("false_positives") or []),
            "false negatives (label push, passed)": list(misses.get("false_negatives") or []),
        }
    lines: list[str] = []
    for title, items in groups.items():
        lines += ["", f"{title}: {len(items)}"]
        for miss in items[:count]:
            text = " ".join(str(_field(miss, "text")).split())
            if len(text) > 160:
                text = text[:159] + "…"
            codes = _field(miss, "codes", None) or []
            facts = [str(_field(miss, name, "") or "") for name in ("kind", "level")]
            facts.append(",".join(codes))
            lines.append(f"  [{_field(miss, 'id')}] {' '.join(f for f in facts if f)}: {text}")
            parent = " ".join(str(_field(miss, "parent", None) or "").split())
            if parent:
                lines.append(f"      answering: {parent[:120]}")
    return "\n".join(lines)
