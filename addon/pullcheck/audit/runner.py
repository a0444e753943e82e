"""Judge every item of an archive with the engine, oldest first, and add up what it found.

Each item is judged as of its own send time and then recorded as sent, so the link-blast rule
sees what the user had already sent at that moment: the fiftieth copy of a DM is flagged, the
first is not. The sent history is the audit's own (see sent_window), never the proxy's.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, TextIO

from pullcheck.audit.items import Archive
from pullcheck.audit.progress import Progress
from pullcheck.audit.sent_window import ChronologicalSentHistory
from pullcheck.audit.summary import AuditSummary
from pullcheck.models import Draft, Verdict


class Judge(Protocol):
    def judge(self, draft: Draft, now: float | None = None) -> Verdict: ...

    def record_sent(self, draft: Draft, now: float | None = None) -> Any: ...


def engine_for_audit(config: Any) -> Judge:
    """The user's configured engine (rules, overrides, allowlists) over an empty history."""
    from pullcheck.config import build_engine

    return build_engine(config, ChronologicalSentHistory())


def run_audit(archive: Archive, engine: Judge, progress_stream: TextIO | None = None,
              progress_min: int = 2000) -> AuditSummary:
    summary = AuditSummary.of(archive)
    progress = Progress(len(archive.items), "items", progress_stream, min_total=progress_min)
    started = time.perf_counter()
    for item in archive.items:
        draft = item.to_draft()
        now = item.timestamp
        try:
            verdict = engine.judge(draft, now=now)
            engine.record_sent(draft, now=now)
        except Exception as error:  # noqa: BLE001 - one odd item must not end a long audit
            summary.note_failure(item, error)
        else:
            summary.add(item, verdict)
        progress.advance()
    progress.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary
