"""What the engine may ask about messages already sent, without ever seeing their text.

The link-blast rule needs to know how many distinct people already received the same (or a
near-duplicate) message. The engine asks a `SentHistory`; the in-memory one here serves the CLI
and the tests, the SQLite one in `pullcheck.sentlog` outlives a proxy restart.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SentRecord:
    """One message that really went out. Never the text: only a similarity signature."""

    time: float
    platform: str
    kind: str
    recipients: tuple[str, ...]
    link_domains: tuple[str, ...]
    signature: int


class SentHistory(Protocol):
    def record(self, sent: SentRecord) -> None:
        """Remember a message that really went out."""

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int
    ) -> set[str]:
        """Distinct recipients of messages sent on `platform` at or after `since` whose
        signature is within `max_distance` bits of `signature`."""
        ...


@dataclass
class InMemorySentHistory:
    """A bounded, thread-safe history kept in memory (the CLI, tests, a proxy without a disk)."""

    max_records: int = 10_000
    _records: deque[SentRecord] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sent: SentRecord) -> None:
        with self._lock:
            self._records.append(sent)
            while len(self._records) > self.max_records:
                self._records.popleft()

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int
    ) -> set[str]:
        with self._lock:
            records = list(self._records)
        # One comprehension rather than a loop: this runs on the judge's hot path.
        return set().union(
            *[
                sent.recipients
                for sent in records
                if sent.time >= since
                and sent.platform == platform
                and (sent.signature ^ signature).bit_count() <= max_distance
            ]
        )

    def forget(self) -> None:
        with self._lock:
            self._records.clear()
