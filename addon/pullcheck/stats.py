"""The user's own numbers: how many drafts were checked, warned about, held, revised.

Counts only, never text: one SQLite row per (day, platform, event, rule code) holding a number.
The file lives in the data folder (`data_dir()/stats.sqlite3`) beside the sent log. Bounded: every
key comes from a fixed set (the site adapters, the events, the rule pack's codes), so a day has
a bounded number of rows whatever a page sends, and days older than `KEEP_DAYS` (the dashboard's
longest span) are dropped when the file opens.

The headline figure is the share of held posts that were revised (Edit) rather than sent anyway,
the figure social sites report for their own nudges (Twitter said in 2021 that 34% of the people
shown its reply prompt revised their reply or did not send it). A hold that timed out was not
sent, but nobody chose to revise it, so it is shown apart and left out of that share. A post
refused at once (no pullcheck page open to ask, or too many held already) was never held: it
counts as refused, not as a hold.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, get_args

from pullcheck.localdb import drop_freed_pages, is_in_memory, open_private_db

Event = Literal[
    "draft_checked",
    "warning_shown",
    "hold",
    "sent_anyway",
    "edited",
    "timed_out",
    "refused",
    "notpush",
    "opportunity",
]
EVENTS: tuple[str, ...] = get_args(Event)
FILENAME = "stats.sqlite3"
# The row of an event as a whole; rows with a rule code count the same event per rule.
ALL_RULES = ""
KEEP_DAYS = 3660

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    day TEXT NOT NULL,
    platform TEXT NOT NULL,
    event TEXT NOT NULL,
    rule TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, platform, event, rule)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rule_names (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;
"""


@dataclass
class StatsSummary:
    """Counts over a span of days, as the dashboard and `pullcheck stats` show them."""

    first_day: date
    last_day: date
    totals: Counter[str] = field(default_factory=Counter)
    by_platform: dict[str, Counter[str]] = field(default_factory=dict)
    by_day: dict[date, Counter[str]] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)
    # Rule code -> readable name (PP201 -> unsolicited-pitch-reply), as last seen.
    rule_names: dict[str, str] = field(default_factory=dict)

    def rule_label(self, code: str) -> str:
        name = self.rule_names.get(code)
        return f"{code} {name}" if name else code

    @property
    def decided(self) -> int:
        return self.totals["edited"] + self.totals["sent_anyway"]

    @property
    def revised_share(self) -> float | None:
        """Edited / (edited + sent anyway); None before the first decision."""
        return self.totals["edited"] / self.decided if self.decided else None

    def on(self, day: date) -> Counter[str]:
        """The counts of one day (empty if nothing happened)."""
        return self.by_day.get(day) or Counter()

    def days(self) -> list[date]:
        span = (self.last_day - self.first_day).days
        return [self.first_day + timedelta(days=n) for n in range(span + 1)]

    def to_dict(self) -> dict[str, object]:
        share = self.revised_share
        return {
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "totals": {event: self.totals[event] for event in EVENTS},
            "revised_share": round(share, 4) if share is not None else None,
            "by_platform": {
                p: {e: c[e] for e in EVENTS if c[e]} for p, c in sorted(self.by_platform.items())
            },
            "by_day": {
                d.isoformat(): {e: c[e] for e in EVENTS if c[e]}
                for d, c in sorted(self.by_day.items())
            },
            "rules": dict(self.rules.most_common()),
            "rule_names": {
                code: self.rule_names[code] for code in self.rules if code in self.rule_names
            },
        }


class StatsStore:
    """Thread-safe counters in SQLite. `count` is cheap enough for every judged draft."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Re-entrant: `count` inside `together` takes it again on the same thread.
        self._lock = threading.RLock()
        self._db = open_private_db(path, _SCHEMA)
        self._known_names: dict[str, str] = {}
        self.prune()

    def prune(self, today: date | None = None) -> int:
        """Drop the counts of days older than `KEEP_DAYS`; returns how many rows went."""
        first = (today or datetime.now(UTC).date()) - timedelta(days=KEEP_DAYS - 1)
        with self._lock:
            return self._db.execute(
                "DELETE FROM counts WHERE day < ?", (first.isoformat(),)
            ).rowcount

    @classmethod
    def in_data_dir(cls, folder: Path) -> StatsStore:
        return cls(folder / FILENAME)

    def count(
        self,
        event: str,
        platform: str,
        rules: Iterable[str] = (),
        when: datetime | None = None,
        amount: int = 1,
        names: dict[str, str] | None = None,
        whole: bool = True,
    ) -> None:
        """Add `amount` to an event, and to the same event per rule code in `rules`.
        `names` (code -> rule name) is remembered so the dashboard can say what a code means.
        `whole=False` adds to the rule codes only: a draft already counted whose verdict
        brought a rule it did not have before."""
        if event not in EVENTS:
            raise ValueError(f"unknown stats event {event!r}; one of {', '.join(EVENTS)}")
        day = (when or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        rows = [(day, platform, event, ALL_RULES, amount)] if whole else []
        rows += [(day, platform, event, code, amount) for code in dict.fromkeys(rules)]
        fresh = {c: n for c, n in (names or {}).items() if self._known_names.get(c) != n}
        if not rows:
            return
        with self._lock:
            if fresh:
                self._db.executemany(
                    "INSERT INTO rule_names (code, name) VALUES (?, ?) "
                    "ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                    fresh.items(),
                )
                self._known_names.update(fresh)
            self._db.executemany(
                "INSERT INTO counts (day, platform, event, rule, count) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (day, platform, event, rule) DO UPDATE "
                "SET count = count + excluded.count",
                rows,
            )

    @contextmanager
    def together(self) -> Iterator[None]:
        """The counts made inside share one transaction: one commit (one write-ahead-log append)
        instead of one each, for the several counts of one judged draft. A count that fails
        does not undo the ones before it (what succeeded is committed, then the error raised),
        the same outcome as separate commits."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                self._db.execute("COMMIT")

    def summary(self, days: int = 30, today: date | None = None) -> StatsSummary:
        """The last `days` days up to `today` (UTC), both ends included."""
        last = today or datetime.now(UTC).date()
        first = last - timedelta(days=max(days, 1) - 1)
        with self._lock:
            rows = self._db.execute(
                "SELECT day, platform, event, rule, count FROM counts WHERE day >= ? AND day <= ?",
                (first.isoformat(), last.isoformat()),
            ).fetchall()
        with self._lock:
            names = dict(self._db.execute("SELECT code, name FROM rule_names").fetchall())
        summary = StatsSummary(first_day=first, last_day=last, rule_names=names)
        for day, platform, event, rule, count in rows:
            if rule != ALL_RULES:
                if event == "draft_checked":
                    summary.rules[rule] += count
                continue
            summary.totals[event] += count
            summary.by_platform.setdefault(platform, Counter())[event] += count
            summary.by_day.setdefault(date.fromisoformat(day), Counter())[event] += count
        return summary

    def forget(self) -> None:
        """Wipe every count, and the freed pages and the write-ahead log with them."""
        with self._lock:
            self._db.execute("DELETE FROM counts")
            self._db.execute("DELETE FROM rule_names")
            drop_freed_pages(self._db)
            self._known_names.clear()

    @property
    def in_memory(self) -> bool:
        """True when the file could not be opened or written and this store lives in memory
        (`localdb.open_private_db`): nothing in it outlives the process."""
        return is_in_memory(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def read_summary(folder: Path, days: int = 30, today: date | None = None) -> StatsSummary:
    """The summary from the stats file in `folder`; empty (and no file created) if there is none."""
    path = folder / FILENAME
    if not path.exists():
        last = today or datetime.now(UTC).date()
        return StatsSummary(first_day=last - timedelta(days=max(days, 1) - 1), last_day=last)
    store = StatsStore(path)
    try:
        return store.summary(days, today)
    finally:
        store.close()
