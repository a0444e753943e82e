"""The sent log: what went out, kept in SQLite so the link-blast rule outlives a proxy restart.

A row is the time, platform, scope (which host, when that host keeps its own memory; see
`Draft.scope`), kind, recipients, link domains and a 64-bit similarity signature of the text.
Never the text: the signature is enough to ask "did this near-duplicate already reach other
people?" and reveals nothing readable. Rows older than the retention window are pruned when the
log opens and then at most once per `prune_every_s` while recording.

One connection, guarded by a lock (the proxy's event loop and the CLI may share it); WAL mode so a
second reader (`pullcheck forget` while the proxy runs) does not block the writer. The file is
created private to the user (0600).

Bounded: at most `max_per_day` rows per UTC day (1,000 by default: far above what a person sends;
beyond it, further sends that day are not recorded and a warning says so once), and nothing older
than the retention window, so the file holds at most `max_per_day` x `retention_days` rows.

The engine asks `recipients_of_similar` for every draft it judges, so the window (time, signature,
recipients per platform) is also kept in memory, grouped by signature with a band index of the
signatures: a query compares the few signatures that could be near (not every row) and bisects
their sends on time; no SQL and no JSON. The copy follows the file: `PRAGMA data_version` moves when
another connection commits (`pullcheck forget` from a shell), and the copy is then read again.
"""

from __future__ import annotations

import bisect
import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pullcheck.history import NearSignatures, SentRecord
from pullcheck.localdb import drop_freed_pages, is_in_memory, open_private_db

logger = logging.getLogger("pullcheck")

FILE_NAME = "sent.sqlite3"
MAX_PER_DAY = 1_000
_SIGN_BIT = 1 << 63
_MASK64 = (1 << 64) - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    time REAL NOT NULL,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    link_domains TEXT NOT NULL,
    signature INTEGER NOT NULL,
    scope TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sent_platform_time ON sent (platform, time);
"""


def _to_sql(signature: int) -> int:
    # SQLite integers are signed 64-bit; a simhash uses all 64 bits.
    signature &= _MASK64
    return signature - (1 << 64) if signature & _SIGN_BIT else signature


def _from_sql(value: int) -> int:
    return value & _MASK64


@dataclass
class _Sends:
    """The sends of one signature in time order (parallel lists: compact and bisectable)."""

    times: list[float] = field(default_factory=list)
    recipients: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, when: float, recipients: tuple[str, ...]) -> None:
        at = bisect.bisect_right(self.times, when)
        self.times.insert(at, when)
        self.recipients.insert(at, recipients)

    def drop_before(self, when: float) -> None:
        cut = bisect.bisect_left(self.times, when)
        if cut:
            del self.times[:cut], self.recipients[:cut]

    def since(self, when: float) -> list[tuple[str, ...]]:
        return self.recipients[bisect.bisect_left(self.times, when) :]


@dataclass
class _Window:
    """One platform's (and scope's) sends, by signature, with a band index of the signatures:
    a lookup compares the few signatures that share a band with the one asked about, not
    every row."""

    by_signature: dict[int, _Sends] = field(default_factory=dict)
    signatures: NearSignatures = field(default_factory=NearSignatures)

    def add(self, when: float, signature: int, recipients: tuple[str, ...]) -> None:
        sends = self.by_signature.get(signature)
        if sends is None:
            sends = self.by_signature[signature] = _Sends()
            self.signatures.add(signature)
        sends.add(when, recipients)

    def drop_before(self, when: float) -> None:
        for signature, sends in list(self.by_signature.items()):
            sends.drop_before(when)
            if not sends.times:
                del self.by_signature[signature]
                self.signatures.discard(signature)


class SqliteSentLog:
    """`SentHistory` in a SQLite file. Thread-safe."""

    def __init__(
        self,
        path: Path,
        retention_days: float = 30,
        prune_every_s: float = 3600,
        max_per_day: int = MAX_PER_DAY,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.prune_every_s = prune_every_s
        self.max_per_day = max_per_day
        # (UTC day start, rows recorded that day), read from the file on a day's first record.
        self._day: tuple[float, int] | None = None
        self._full_day_said: float | None = None
        self._lock = threading.Lock()
        self._db = open_private_db(self.path, _SCHEMA)
        _add_scope_column(self._db)
        self._last_prune = 0.0
        self._windows: dict[tuple[str, str], _Window] = {}
        self._data_version = -1
        self.prune()
        with self._lock:
            self._reload()

    def _reload(self) -> None:
        """Read the window from the file again (caller holds the lock)."""
        windows: dict[tuple[str, str], _Window] = {}
        rows = self._db.execute(
            "SELECT time, platform, scope, recipients, signature FROM sent"
            " WHERE time >= ? ORDER BY time",
            (self._retention_start(),),
        )
        for when, platform, scope, recipients, signature in rows:
            window = windows.setdefault((platform, scope), _Window())
            window.add(when, _from_sql(signature), tuple(json.loads(recipients)))
        self._windows = windows
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]

    def _follow_file(self) -> None:
        """Reload when another connection changed the file (caller holds the lock)."""
        if self._db.execute("PRAGMA data_version").fetchone()[0] != self._data_version:
            self._reload()

    @classmethod
    def in_data_dir(cls, data_dir: Path, retention_days: float = 30) -> SqliteSentLog:
        return cls(Path(data_dir) / FILE_NAME, retention_days=retention_days)

    def record(self, sent: SentRecord) -> None:
        row = (
            float(sent.time),
            sent.platform,
            sent.kind,
            json.dumps(list(sent.recipients)),
            json.dumps(list(sent.link_domains)),
            _to_sql(sent.signature),
            sent.scope,
        )
        with self._lock:
            self._follow_file()
            if not self._room_today_locked(float(sent.time)):
                return
            self._db.execute(
                "INSERT INTO sent"
                " (time, platform, kind, recipients, link_domains, signature, scope)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            self._windows.setdefault((sent.platform, sent.scope), _Window()).add(
                float(sent.time), sent.signature & _MASK64, tuple(sent.recipients)
            )
        if time.monotonic() - self._last_prune >= self.prune_every_s:
            self.prune()

    def _room_today_locked(self, when: float) -> bool:
        """Count this record against its day; False when the day is full (said once)."""
        day = when - when % 86400
        if self._day is None or self._day[0] != day:
            count = self._db.execute(
                "SELECT COUNT(*) FROM sent WHERE time >= ? AND time < ?", (day, day + 86400)
            ).fetchone()[0]
            self._day = (day, int(count))
        if self._day[1] >= self.max_per_day:
            if self._full_day_said != day:
                self._full_day_said = day
                logger.warning(
                    "pullcheck: %d sends recorded today in %s, the most kept in a day; "
                    "further sends today are not recorded",
                    self.max_per_day,
                    self.path,
                )
            return False
        self._day = (day, self._day[1] + 1)
        return True

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int, scope: str = ""
    ) -> set[str]:
        since = max(since, self._retention_start())
        signature &= _MASK64
        found: set[str] = set()
        with self._lock:
            self._follow_file()
            window = self._windows.get((platform, scope))
            if window is None:
                return found
            for near in window.signatures.near(signature, max_distance):
                found.update(*window.by_signature[near].since(since))
        return found

    def records(self, platform: str | None = None) -> list[SentRecord]:
        """Every stored record, oldest first (for `pullcheck` commands and tests)."""
        query = "SELECT time, platform, kind, recipients, link_domains, signature, scope FROM sent"
        args: tuple[str, ...] = ()
        if platform is not None:
            query += " WHERE platform = ?"
            args = (platform,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY time", args).fetchall()
        return [
            SentRecord(
                time=t,
                platform=p,
                kind=k,
                recipients=tuple(json.loads(r)),
                link_domains=tuple(json.loads(d)),
                signature=_from_sql(s),
                scope=scope,
            )
            for t, p, k, r, d, s, scope in rows
        ]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sent").fetchone()[0])

    def _retention_start(self) -> float:
        return time.time() - self.retention_days * 86400

    def prune(self) -> int:
        """Drop records older than the retention window; returns how many went."""
        cutoff = self._retention_start()
        with self._lock:
            cursor = self._db.execute("DELETE FROM sent WHERE time < ?", (cutoff,))
            self._last_prune = time.monotonic()
            for window in self._windows.values():
                window.drop_before(cutoff)
            return cursor.rowcount

    def forget(self) -> int:
        """Wipe every record, and the freed pages and the write-ahead log with them."""
        with self._lock:
            count = self._db.execute("DELETE FROM sent").rowcount
            drop_freed_pages(self._db)
            self._windows = {}
            self._day = None
            return count

    @property
    def in_memory(self) -> bool:
        """True when the file could not be opened or written and this store lives in memory
        (`localdb.open_private_db`): nothing in it outlives the process."""
        return is_in_memory(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _add_scope_column(db: sqlite3.Connection) -> None:
    """A sent log from before scopes existed: its rows were all the configured hosts' ("")."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(sent)")}
    if "scope" not in columns:
        db.execute("ALTER TABLE sent ADD COLUMN scope TEXT NOT NULL DEFAULT ''")
