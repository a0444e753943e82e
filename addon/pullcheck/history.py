"""What the engine may ask about messages already sent, without ever seeing their text.

The link-blast rule needs to know how many distinct people already received the same (or a
near-duplicate) message. The engine asks a `SentHistory`; the in-memory one here serves the CLI
and the tests, the SQLite one in `pullcheck.sentlog` outlives a proxy restart.
"""

from __future__ import annotations

import itertools
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
    # The draft's `scope`: where within the platform it went ("" for the configured hosts).
    scope: str = ""


class SentHistory(Protocol):
    def record(self, sent: SentRecord) -> None:
        """Remember a message that really went out."""

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int, scope: str = ""
    ) -> set[str]:
        """Distinct recipients of messages sent on `platform` (within `scope`) at or after
        `since` whose signature is within `max_distance` bits of `signature`."""
        ...


# A band index pays off only while bands stay a few bits wide; past this distance, scan.
MAX_INDEXED_DISTANCE = 15


def _bands(max_distance: int) -> tuple[tuple[int, int], ...]:
    """(shift, mask) of `max_distance + 1` bands covering the 64 signature bits. Two signatures
    at most `max_distance` bits apart differ in at most that many bands, so they agree exactly
    on at least one (pigeonhole): a lookup per band finds every candidate."""
    count = max_distance + 1
    edges = [index * 64 // count for index in range(count + 1)]
    pairs = itertools.pairwise(edges)
    return tuple((low, (1 << (high - low)) - 1) for low, high in pairs)


class _BandIndex:
    """Records by band value, for one `max_distance` (built on its first lookup)."""

    def __init__(self, max_distance: int, records: deque[SentRecord]) -> None:
        self.bands = _bands(max_distance)
        self.buckets: list[dict[int, list[SentRecord]]] = [{} for _ in self.bands]
        for sent in records:
            self.add(sent)

    def add(self, sent: SentRecord) -> None:
        for (shift, mask), buckets in zip(self.bands, self.buckets, strict=True):
            buckets.setdefault(sent.signature >> shift & mask, []).append(sent)

    def remove(self, sent: SentRecord) -> None:
        for (shift, mask), buckets in zip(self.bands, self.buckets, strict=True):
            key = sent.signature >> shift & mask
            bucket = buckets[key]
            bucket.remove(sent)  # equal records are interchangeable
            if not bucket:
                del buckets[key]

    def candidates(self, signature: int) -> list[SentRecord]:
        found: dict[int, SentRecord] = {}
        for (shift, mask), buckets in zip(self.bands, self.buckets, strict=True):
            for sent in buckets.get(signature >> shift & mask, ()):
                found[id(sent)] = sent
        return list(found.values())


@dataclass
class InMemorySentHistory:
    """A bounded, thread-safe history kept in memory (the CLI, tests, a proxy without a disk).

    Lookups go through a band index of the signatures (one per `max_distance` asked for), so
    the judge's hot path looks at the few near candidates instead of every record."""

    max_records: int = 10_000
    _records: deque[SentRecord] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _indexes: dict[int, _BandIndex] = field(default_factory=dict)

    def record(self, sent: SentRecord) -> None:
        with self._lock:
            self._records.append(sent)
            for index in self._indexes.values():
                index.add(sent)
            while len(self._records) > self.max_records:
                evicted = self._records.popleft()
                for index in self._indexes.values():
                    index.remove(evicted)

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int, scope: str = ""
    ) -> set[str]:
        with self._lock:
            if 0 <= max_distance <= MAX_INDEXED_DISTANCE:
                index = self._indexes.get(max_distance)
                if index is None:
                    index = self._indexes[max_distance] = _BandIndex(max_distance, self._records)
                records = index.candidates(signature)
            else:
                records = list(self._records)
        # One comprehension rather than a loop: this runs on the judge's hot path.
        return set().union(
            *[
                sent.recipients
                for sent in records
                if sent.time >= since
                and sent.platform == platform
                and sent.scope == scope
                and (sent.signature ^ signature).bit_count() <= max_distance
            ]
        )

    def forget(self) -> None:
        with self._lock:
            self._records.clear()
            self._indexes.clear()
