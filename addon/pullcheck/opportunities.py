"""Pull opportunities: posts the proxy saw that ask for help and ask for what the user offers.

"I'm looking for a widget seller in Albania" is an invitation for someone whose config says
`offer: ["widgets in Albania"]`. A harvested post is an opportunity when the engine's
asks-for-help detection says "yes" AND one offer phrase matches it. Matching is by word overlap
after light stemming (bookkeeping / bookkeeper / bookkeepers all become "bookkeep"), in any
order, ignoring small words: every content word of a short phrase (up to three words) must be
there, and three quarters of a longer one.

What is kept: post id, site, author, when, the matched phrase, on disk (so `pullcheck
opportunities` can list them after the proxy stops); the post's text only in memory, for the
banner, and only for the most recent ones.

Bounded: at most `MAX_PER_DAY` new rows a day (further ones that day are not stored; said once)
and `MAX_ROWS` in all (the oldest go first). A real timeline yields a handful a day.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pullcheck.localdb import drop_freed_pages, is_in_memory, open_private_db
from pullcheck.topics import stem

if TYPE_CHECKING:
    from pullcheck.features import Ask

logger = logging.getLogger("pullcheck")

FILENAME = "opportunities.sqlite3"
RECENT_IN_MEMORY = 500
MAX_PER_DAY = 500
MAX_ROWS = 5_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS opportunities (
    platform TEXT NOT NULL,
    post_id TEXT NOT NULL,
    author TEXT,
    seen_at REAL NOT NULL,
    phrase TEXT NOT NULL,
    dismissed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, post_id)
);
CREATE INDEX IF NOT EXISTS opportunities_seen_at ON opportunities (seen_at);
"""
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Words that carry no offer: articles, prepositions, pronouns, "small talk" verbs.
_SMALL_WORDS = frozenset(
    """
a an the and or but of for in on at to from by with without about into over under near
my our your their his her its i we you they me us them it this that these those some any
is are was were be been am do does did have has had can could will would should may might
what who where when which how why best good great really very just please help need needs
""".split()
)


def content_stems(text: str) -> set[str]:
    return {stem(word) for word in _WORD.findall(text) if word.casefold() not in _SMALL_WORDS}


@dataclass(frozen=True)
class OfferPhrase:
    phrase: str
    stems: frozenset[str]

    @property
    def needed(self) -> int:
        count = len(self.stems)
        return count if count <= 3 else math.ceil(0.75 * count)


class OfferMatcher:
    """Which of the user's offer phrases a post asks for, if any."""

    def __init__(self, offer: Iterable[str]) -> None:
        self.phrases = [OfferPhrase(p, frozenset(content_stems(p))) for p in offer]
        self.phrases = [p for p in self.phrases if p.stems]

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def match(self, text: str) -> str | None:
        if not self.phrases or not text:
            return None
        stems = content_stems(text)
        best: tuple[float, str] | None = None
        for phrase in self.phrases:
            shared = len(phrase.stems & stems)
            if shared >= phrase.needed:
                score = shared / len(phrase.stems)
                if best is None or score > best[0]:
                    best = (score, phrase.phrase)
        return best[1] if best else None


@dataclass(frozen=True)
class Opportunity:
    post_id: str
    platform: str
    author: str | None
    when: float
    phrase: str
    # Only in memory (never written): the banner shows it, `pullcheck opportunities` does not.
    text: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "platform": self.platform,
            "author": self.author,
            "when": self.when,
            "phrase": self.phrase,
        }


class ReadPost(Protocol):
    """A post read off a timeline (the sites' `SeenPost`)."""

    @property
    def id(self) -> str: ...

    @property
    def platform(self) -> str: ...

    @property
    def author(self) -> str | None: ...

    @property
    def text(self) -> str | None: ...


def spot(
    posts: Iterable[ReadPost], matcher: OfferMatcher, asks: Callable[[str], Ask]
) -> list[Opportunity]:
    """Opportunities among harvested posts.

    The cheap offer match runs first; the ask detection only on posts that match."""
    found: list[Opportunity] = []
    if not matcher:
        return found
    now = time.time()
    for post in posts:
        text = post.text or ""
        phrase = matcher.match(text)
        if phrase is None or asks(text).answer != "yes":
            continue
        found.append(Opportunity(post.id, post.platform, post.author, now, phrase, text))
    return found


class OpportunityLog:
    """Opportunities seen: SQLite on disk (no text), the most recent with text in memory."""

    def __init__(
        self, path: Path, max_per_day: int = MAX_PER_DAY, max_rows: int = MAX_ROWS
    ) -> None:
        self.path = path
        self.max_per_day = max_per_day
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._db = open_private_db(path, _SCHEMA)
        self._recent: OrderedDict[tuple[str, str], Opportunity] = OrderedDict()
        self._rows = int(self._db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0])
        # (day start, rows added since): counted from the file on the first add of a day.
        self._today: tuple[float, int] | None = None
        self._full_day_said: float | None = None

    @classmethod
    def in_data_dir(cls, folder: Path) -> OpportunityLog:
        return cls(folder / FILENAME)

    def add(self, opportunity: Opportunity) -> bool:
        """Remember it; False if this post was already known (so it is counted once)."""
        key = (opportunity.platform, opportunity.post_id)
        with self._lock:
            day = _day_start(opportunity.when)
            if self._today is None or self._today[0] != day:
                self._today = (
                    day,
                    int(
                        self._db.execute(
                            "SELECT COUNT(*) FROM opportunities WHERE seen_at >= ? AND seen_at < ?",
                            (day, day + 86400),
                        ).fetchone()[0]
                    ),
                )
            if self._today[1] >= self.max_per_day:
                if self._full_day_said != day:
                    self._full_day_said = day
                    logger.warning(
                        "pullcheck: %d pull opportunities today, the most kept in a "
                        "day; more are not stored until tomorrow",
                        self.max_per_day,
                    )
                return False
            self._recent[key] = opportunity
            self._recent.move_to_end(key)
            while len(self._recent) > RECENT_IN_MEMORY:
                self._recent.popitem(last=False)
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO opportunities (platform, post_id, author, seen_at, "
                "phrase) VALUES (?, ?, ?, ?, ?)",
                (
                    opportunity.platform,
                    opportunity.post_id,
                    opportunity.author,
                    opportunity.when,
                    opportunity.phrase,
                ),
            )
            if cursor.rowcount != 1:
                return False
            self._today = (day, self._today[1] + 1)
            self._rows += 1
            if self._rows > self.max_rows:
                self._drop_oldest_locked(self._rows - self.max_rows)
            return True

    def _drop_oldest_locked(self, count: int) -> None:
        self._db.execute(
            "DELETE FROM opportunities WHERE rowid IN "
            "(SELECT rowid FROM opportunities ORDER BY seen_at LIMIT ?)",
            (count,),
        )
        self._rows = int(self._db.execute("SELECT COUNT(*) FROM opportunities").fetchone()[0])

    def __len__(self) -> int:
        with self._lock:
            return self._rows

    def dismiss(self, platform: str, post_id: str) -> bool:
        with self._lock:
            self._recent.pop((platform, post_id), None)
            cursor = self._db.execute(
                "UPDATE opportunities SET dismissed = 1 WHERE platform = ? AND post_id = ?",
                (platform, post_id),
            )
            return cursor.rowcount == 1

    def recent(self, platform: str | None = None) -> list[Opportunity]:
        """In-memory opportunities, newest first (with text), not dismissed."""
        with self._lock:
            items = list(self._recent.values())
        return [o for o in reversed(items) if platform is None or o.platform == platform]

    def listed(self, since: float = 0.0, include_dismissed: bool = False) -> list[Opportunity]:
        """From disk, newest first, without text."""
        query = (
            "SELECT post_id, platform, author, seen_at, phrase FROM opportunities "
            "WHERE seen_at >= ?"
            + ("" if include_dismissed else " AND dismissed = 0")
            + " ORDER BY seen_at DESC"
        )
        with self._lock:
            rows = self._db.execute(query, (since,)).fetchall()
        return [Opportunity(str(p), str(s), a, float(w), str(ph)) for p, s, a, w, ph in rows]

    def forget(self) -> None:
        """Wipe every opportunity, and the freed pages and the write-ahead log with them."""
        with self._lock:
            self._recent.clear()
            self._db.execute("DELETE FROM opportunities")
            drop_freed_pages(self._db)
            self._rows, self._today = 0, None

    @property
    def in_memory(self) -> bool:
        """True when the file could not be opened or written and this store lives in memory
        (`localdb.open_private_db`): nothing in it outlives the process."""
        return is_in_memory(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _day_start(when: float) -> float:
    """The start of the UTC day of `when` (epoch seconds)."""
    return when - when % 86400
