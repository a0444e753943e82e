"""What an audit found, in counts: push share over time and per kind, the rules that fire most,
and the worst examples (each distinct wording once, with how often it was sent).

Texts that differ only by @handles, links or numbers ("@alice thanks for following!" and
"@bob thanks for following!") are one wording: an auto-DM sent to fifty people is one example
sent fifty times, not fifty examples.

A verdict at `warning` or above counts as push; `info` is a nudge, not push.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pullcheck.audit.items import Archive, ArchiveItem
from pullcheck.models import Verdict, severity_rank

PUSH_LEVEL = "warning"
WORST_SHOWN = 12
# What may differ between texts of one wording. Links first: a link holds numbers and slashes.
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w.])@[\w.-]+(?:@[\w-]+(?:\.[\w-]+)+)?")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")


def wording(text: str) -> str:
    """The text with its @handles, links and numbers blanked, case and spacing aside: two texts
    with the same wording were the same message sent to other people, links or amounts."""
    text = _LINK.sub("<link>", text)
    text = _HANDLE.sub("@", text)
    text = _NUMBER.sub("#", text)
    return " ".join(text.casefold().split())


def items(count: int) -> str:
    """ "1 item", "2 items", "1,000 items"."""
    return f"{count:,} item" + ("" if count == 1 else "s")


def _exact(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(slots=True)
class Tally:
    total: int = 0
    push: int = 0

    @property
    def share(self) -> float:
        return self.push / self.total if self.total else 0.0


@dataclass(slots=True)
class RuleTally:
    code: str
    name: str
    severity: str
    count: int = 0
    instead: str = ""


@dataclass(slots=True)
class ExampleFinding:
    code: str
    name: str
    severity: str
    message: str
    trigger: str
    instead: str


@dataclass(slots=True)
class Example:
    """A flagged wording, shown by its worst text. `times` counts how often it went out;
    `varied` says the texts differed in their @handles, links or numbers; `first` and `last`
    are the earliest and latest dates (ISO) it was sent."""

    score: int
    level: str
    kind: str
    when: str
    text: str
    item_id: str
    findings: list[ExampleFinding]
    times: int = 1
    varied: bool = False
    first: str = ""
    last: str = ""

    def absorb(self, other: Example) -> Example:
        """One example for both (of the same wording): the worse text, the counts added."""
        kept = other if other.score > self.score else self
        kept.times = self.times + other.times
        kept.varied = self.varied or other.varied or _exact(self.text) != _exact(other.text)
        dates = [d for d in (self.first, self.last, other.first, other.last) if d]
        kept.first, kept.last = (min(dates), max(dates)) if dates else ("", "")
        return kept

    @property
    def rank(self) -> tuple[int, int, int]:
        return (self.score, severity_rank(self.level), self.times)


@dataclass
class AuditSummary:
    platform: str
    source: str
    owner: str | None
    skipped: int = 0
    total: int = 0
    push: int = 0
    unjudged: int = 0
    first_error: str | None = None
    levels: Counter[str] = field(default_factory=Counter)
    months: dict[str, Tally] = field(default_factory=dict)
    kinds: dict[str, Tally] = field(default_factory=dict)
    # Push rules only: a pull finding (a thank-you, a question) lowers the score and is
    # counted apart, as items that show pull.
    rules: dict[str, RuleTally] = field(default_factory=dict)
    pull: int = 0
    elapsed_s: float = 0.0
    _examples: dict[bytes, Example] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, archive: Archive) -> AuditSummary:
        return cls(
            platform=archive.platform,
            source=archive.source,
            owner=archive.owner,
            skipped=archive.skipped,
        )

    @property
    def share(self) -> float:
        return self.push / self.total if self.total else 0.0

    def add(self, item: ArchiveItem, verdict: Verdict) -> None:
        push = verdict.reaches(PUSH_LEVEL)
        self.total += 1
        self.push += push
        self.levels[verdict.level] += 1
        when = item.when
        month = f"{when.year:04d}-{when.month:02d}" if when else "undated"
        for tally in (
            self.months.setdefault(month, Tally()),
            self.kinds.setdefault(item.kind, Tally()),
        ):
            tally.total += 1
            tally.push += push
        if any(finding.weight < 0 for finding in verdict.findings):
            self.pull += 1
        for finding in verdict.findings:
            if finding.weight <= 0:
                continue
            rule = self.rules.get(finding.code)
            if rule is None:
                rule = self.rules[finding.code] = RuleTally(
                    finding.code, finding.name, finding.severity, 0, finding.instead
                )
            rule.count += 1
        if push:
            self._remember_example(item, verdict)

    def note_failure(self, item: ArchiveItem, error: Exception) -> None:
        self.unjudged += 1
        if self.first_error is None:
            self.first_error = f"{item.platform} {item.kind} {item.item_id}: {error!r}"

    def merge(self, other: AuditSummary) -> None:
        """Add the counts of `other` (another share of the same archive) to these."""
        self.total += other.total
        self.push += other.push
        self.pull += other.pull
        self.unjudged += other.unjudged
        self.first_error = self.first_error or other.first_error
        self.levels.update(other.levels)
        for mine, theirs in ((self.months, other.months), (self.kinds, other.kinds)):
            for name, tally in theirs.items():
                into = mine.setdefault(name, Tally())
                into.total += tally.total
                into.push += tally.push
        for code, rule in other.rules.items():
            if code in self.rules:
                self.rules[code].count += rule.count
            else:
                self.rules[code] = rule
        for key, example in other._examples.items():
            known = self._examples.get(key)
            self._examples[key] = example if known is None else known.absorb(example)

    def worst(self, count: int = WORST_SHOWN) -> list[Example]:
        # Ties (many drafts score 100) go to the earliest, then by id: the same list whichever
        # order the workers' shares were merged in.
        ordered = sorted(self._examples.values(), key=lambda e: (e.when, e.item_id))
        return sorted(ordered, key=lambda e: e.rank, reverse=True)[:count]

    def top_rules(self, count: int = 10) -> list[RuleTally]:
        return sorted(self.rules.values(), key=lambda r: (-r.count, r.code))[:count]

    def months_in_order(self) -> list[tuple[str, Tally]]:
        return sorted(self.months.items())

    def to_dict(self, examples: int = WORST_SHOWN) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "source": self.source,
            "owner": self.owner,
            "items": self.total,
            "push": self.push,
            "push_share": round(self.share, 4),
            "pull": self.pull,
            "levels": dict(self.levels),
            "skipped": self.skipped,
            "unjudged": self.unjudged,
            "months": {m: {"items": t.total, "push": t.push} for m, t in self.months_in_order()},
            "kinds": {k: {"items": t.total, "push": t.push} for k, t in sorted(self.kinds.items())},
            "rules": [asdict(rule) for rule in self.top_rules(len(self.rules))],
            "worst": [asdict(example) for example in self.worst(examples)],
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def _remember_example(self, item: ArchiveItem, verdict: Verdict) -> None:
        key = hashlib.blake2b(wording(item.text).encode(), digest_size=12).digest()
        when = item.when.isoformat() if item.when else ""
        known = self._examples.get(key)
        if known is not None and verdict.score <= known.score:
            # The common case (the same auto-DM again): count it, build nothing.
            known.times += 1
            known.varied = known.varied or _exact(item.text) != _exact(known.text)
            if when:
                known.first = min(known.first or when, when)
                known.last = max(known.last, when)
            return
        example = Example(
            score=verdict.score,
            level=verdict.level,
            kind=item.kind,
            when=when,
            text=item.text,
            item_id=item.item_id,
            findings=[
                ExampleFinding(f.code, f.name, f.severity, f.message, f.trigger, f.instead)
                for f in verdict.findings
            ],
            first=when,
            last=when,
        )
        self._examples[key] = example if known is None else known.absorb(example)
