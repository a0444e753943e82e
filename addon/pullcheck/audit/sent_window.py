"""The sent history for an audit: every archived message, known in advance, seen "as of" an item.

The engine asks "how many people already got a near-duplicate of this?" for every draft. The
proxy's histories answer by scanning all they hold and learn one send at a time. An audit knows
every send before it judges the first one, so the whole history is loaded up front (in archive
order, which is time order) and each judgement sees only the records before its own item:
`as_of(index)` sets that cut. This is what lets several processes judge parts of one archive
and still agree with a one-by-one replay.

Records without recipients (public posts) can never add a recipient to an answer, so they are
not kept.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from pullcheck.history import SentRecord


@dataclass
class _PlatformLog:
    times: list[float] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    records: list[SentRecord] = field(default_factory=list)


@dataclass
class ChronologicalSentHistory:
    """A SentHistory over records added in archive order, queried as of an archive position."""

    _logs: dict[str, _PlatformLog] = field(default_factory=dict)
    _position: int = 0
    _cut: int | None = None

    def record(self, sent: SentRecord) -> None:
        """Add the record of the item at the next archive position."""
        position = self._position
        self._position += 1
        if not sent.recipients:
            return
        log = self._logs.setdefault(sent.platform, _PlatformLog())
        # Archives are sorted by time; an undated item (time -inf) sorts first anyway.
        log.times.append(sent.time)
        log.positions.append(position)
        log.records.append(sent)

    def skip(self) -> None:
        """The item at the next archive position reached nobody: nothing to keep."""
        self._position += 1

    def as_of(self, position: int | None) -> None:
        """Answer as if only items before `position` had been sent (None: everything)."""
        self._cut = position

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int, scope: str = ""
    ) -> set[str]:
        # An archive is one account's sends: a single scope, whatever `scope` says.
        log = self._logs.get(platform)
        found: set[str] = set()
        if log is None:
            return found
        start = bisect_left(log.times, since)
        end = len(log.records) if self._cut is None else bisect_left(log.positions, self._cut)
        for sent in log.records[start:end]:
            if (sent.signature ^ signature).bit_count() <= max_distance:
                found.update(sent.recipients)
        return found

    def __len__(self) -> int:
        return sum(len(log.records) for log in self._logs.values())
