"""The sent history for an audit: every archived message, replayed in time order.

The engine asks "how many people already got a near-duplicate of this?" for every draft. The
in-memory history answers by scanning all it holds, which is fine for a proxy session but
quadratic over a 100,000-post archive. An archive arrives in time order, so records are kept
sorted by time and a query looks only at the window it asks for. Records without recipients
(public posts) can never add a recipient to an answer, so they are not kept at all.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from pullcheck.history import SentRecord


@dataclass
class _PlatformLog:
    times: list[float] = field(default_factory=list)
    records: list[SentRecord] = field(default_factory=list)


@dataclass
class ChronologicalSentHistory:
    """A SentHistory for records that arrive (nearly) in time order."""

    _logs: dict[str, _PlatformLog] = field(default_factory=dict)

    def record(self, sent: SentRecord) -> None:
        if not sent.recipients:
            return
        log = self._logs.setdefault(sent.platform, _PlatformLog())
        if log.times and sent.time < log.times[-1]:
            # Out of order (an undated item, a clock skew): insert where it belongs.
            at = bisect_left(log.times, sent.time)
            log.times.insert(at, sent.time)
            log.records.insert(at, sent)
            return
        log.times.append(sent.time)
        log.records.append(sent)

    def recipients_of_similar(
        self, platform: str, signature: int, since: float, max_distance: int
    ) -> set[str]:
        log = self._logs.get(platform)
        found: set[str] = set()
        if log is None:
            return found
        for sent in log.records[bisect_left(log.times, since):]:
            if (sent.signature ^ signature).bit_count() <= max_distance:
                found.update(sent.recipients)
        return found

    def __len__(self) -> int:
        return sum(len(log.records) for log in self._logs.values())
