"""Measure the engine on a labelled corpus (the CSV format of `shared/corpora/README.md`).

Columns used: id, text, label (push | ok), kind, parent, context, platform; others are ignored.
A row is *flagged* when its verdict reaches `fail_on`. Per rule, a row counts as flagged by the
rule when the rule produced a finding AND the verdict reaches `fail_on` (a shadow rule: when its
finding's severity reaches `fail_on`, since it never shapes the verdict). Precision of a rule is
the share of its flagged rows labelled push; recall is the share of push rows it flagged.

The `context` column's facts (`pullcheck.context_facts`) reach the engine as the proxy would
know them: new follower, prior conversation, who writes, whom the parent addressed, and "sent to
N people", which is replayed into the engine's sent history as N-1 earlier copies.

Every corpus splits into two halves by a hash of the row id (`half_of`): rules and phrases are
tuned on the `tune` half and earn their place by what they gain on the `check` half.

A rate without a denominator is None (`null` in JSON).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pullcheck.context_facts import read_facts
from pullcheck.engine import Engine
from pullcheck.models import Draft, ReplyTarget, severity_rank

# Corpus platforms named differently from the ones pullcheck reads.
PLATFORM_NAMES = {"twitter": "x"}
KINDS = {"post", "reply", "quote", "dm", "comment", "connect-note"}
LABELS = {"push", "ok"}
HALVES = ("tune", "check")


def half_of(row_id: str) -> str:
    """`tune` or `check`: a stable split by a hash of the row id (about half each)."""
    return HALVES[hashlib.sha256(row_id.encode("utf-8")).digest()[0] & 1]


class CorpusError(ValueError):
    """The file is not a corpus CSV; the message names the file and what is missing."""


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    draft: Draft
    # How many people got the same message, this one included (the context's "sent to N").
    sent_to: int | None = None


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def add(self, flagged: bool, push: bool) -> None:
        if flagged and push:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif push:
            self.fn += 1
        else:
            self.tn += 1

    def metrics(self) -> dict[str, Any]:
        precision = _rate(self.tp, self.tp + self.fp)
        recall = _rate(self.tp, self.tp + self.fn)
        if precision is None or recall is None or precision + recall == 0:
            f1 = None if precision is None or recall is None else 0.0
        else:
            f1 = 2 * precision * recall / (precision + recall)
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "false_positive_rate": _rate(self.fp, self.fp + self.tn),
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "rows": self.tp + self.fp + self.tn + self.fn,
        }


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def row_to_draft(record: dict[str, str]) -> Draft:
    """Map a corpus row to the draft it stands for."""
    platform = (record.get("platform") or "other").strip().lower()
    kind = (record.get("kind") or "post").strip().lower()
    parent = record.get("parent") or ""
    context = record.get("context") or ""
    facts = read_facts(context)
    reply_to = None
    if parent.strip() or facts.addressed:
        reply_to = ReplyTarget(text=parent or None, addressed=tuple(facts.addressed))
    return Draft(
        platform=PLATFORM_NAMES.get(platform, platform),
        kind=kind if kind in KINDS else "post",  # type: ignore[arg-type]
        text=record.get("text") or "",
        reply_to=reply_to,
        author=facts.writer,
        recipient_is_new_follower=facts.new_follower,
        prior_conversation=facts.prior_conversation,
        context=context,
    )


def read_corpus(path: Path, half: str | None = None) -> list[Row]:
    """Rows of a corpus CSV (only those of `half`, when given); a missing column or an unknown
    label is a `CorpusError`."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise CorpusError(f"{path}: cannot open: {error.strerror or error}") from error
    with handle:
        reader = csv.DictReader(handle)
        missing = {"id", "text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise CorpusError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        rows: list[Row] = []
        for line, record in enumerate(reader, start=2):
            label = (record.get("label") or "").strip().lower()
            if label not in LABELS:
                raise CorpusError(f"{path}:{line}: label must be push or ok, not {label!r}")
            row_id = record.get("id") or str(line)
            if half is not None and half_of(row_id) != half:
                continue
            sent_to = read_facts(record.get("context") or "").sent_to
            rows.append(Row(row_id, label, row_to_draft(record), sent_to))
    return rows


def replay_sent(row: Row, engine: Engine) -> Draft:
    """For "sent to N people": the same message already went to N-1 others (as the proxy's
    sent log would know), and this copy goes to one more. Returns the draft to judge."""
    if not row.sent_to or row.sent_to < 2:
        return row.draft
    draft = row.draft
    if not draft.recipients and draft.reply_to is None:
        draft = draft.model_copy(update={"recipients": [f"{row.id}-recipient"]})
    for index in range(row.sent_to - 1):
        earlier = draft.model_copy(
            update={"recipients": [f"{row.id}-earlier-{index}"], "reply_to": None}
        )
        engine.record_sent(earlier)
    return draft


def evaluate_rows(rows: list[Row], engine: Engine, fail_on: str = "warning") -> dict[str, Any]:
    """Overall and per-rule metrics, a confusion matrix and the misses."""
    threshold = severity_rank(fail_on)
    overall = Counts()
    per_rule: dict[str, Counts] = {active.rule.code: Counts() for active in engine.active}
    false_positives: list[dict[str, Any]] = []
    false_negatives: list[dict[str, Any]] = []
    for row in rows:
        judgement = engine.judge_fully(replay_sent(row, engine))
        verdict = judgement.verdict
        push = row.label == "push"
        flagged = severity_rank(verdict.level) >= threshold
        overall.add(flagged, push)
        fired = {finding.code for finding in verdict.findings if finding.weight > 0}
        fired_shadow = {
            finding.code
            for finding in judgement.shadow
            if severity_rank(finding.severity) >= threshold
        }
        for code, counts in per_rule.items():
            counts.add((flagged and code in fired) or code in fired_shadow, push)
        if flagged != push:
            miss = {
                "id": row.id,
                "label": row.label,
                "kind": row.draft.kind,
                "level": verdict.level,
                "score": verdict.score,
                "codes": sorted(finding.code for finding in verdict.findings),
                "text": row.draft.text,
                "parent": row.draft.reply_to.text if row.draft.reply_to else None,
            }
            (false_positives if flagged else false_negatives).append(miss)
    result = overall.metrics()
    return {
        "overall": result,
        "rules": {code: counts.metrics() for code, counts in per_rule.items()},
        "confusion": {
            "push": {"flagged": overall.tp, "passed": overall.fn},
            "ok": {"flagged": overall.fp, "passed": overall.tn},
        },
        "fail_on": fail_on,
        "misses": {"false_positives": false_positives, "false_negatives": false_negatives},
    }


def evaluate_file(
    path: Path | str, engine: Engine, fail_on: str = "warning", half: str | None = None
) -> dict[str, Any]:
    """`pullcheck eval`: read a corpus CSV and measure `engine` on it.

    The result holds `overall` and `rules` exactly as `eval --json` prints them, plus
    `confusion`, `fail_on` and `misses` (false positives and false negatives, for
    `--show-misses`)."""
    return evaluate_rows(read_corpus(Path(path), half), engine, fail_on)
