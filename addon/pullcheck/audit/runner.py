"""Judge every item of an archive with the engine, oldest first, and add up what it found.

Each item is judged as of its own send time and then recorded as sent, so the link-blast rule
sees what the user had already sent at that moment: the fiftieth copy of a DM is flagged, the
first is not. The sent history is the audit's own (see sent_window), never the proxy's.

Recording reuses the features the judgement already extracted (`Engine.record_sent` would
extract them a second time, which doubled the cost of a 100,000-item audit); the record is the
one `record_sent` makes: audience, link domains, similarity signature, never the text. Items
that reach nobody directly (public posts without mentions) are not recorded at all: the
link-blast question ("how many people got this?") cannot count them.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from pullcheck.audit.items import Archive
from pullcheck.audit.progress import Progress
from pullcheck.audit.sent_window import ChronologicalSentHistory
from pullcheck.audit.summary import AuditSummary
from pullcheck.engine import Engine, audience_of
from pullcheck.history import SentRecord
from pullcheck.models import Draft
from pullcheck.signature import similarity_signature


def engine_for_audit(config: Any) -> Engine:
    """The user's configured engine (rules, overrides, allowlists) over an empty history."""
    from pullcheck.config import build_engine

    return build_engine(config, ChronologicalSentHistory())


def run_audit(archive: Archive, engine: Engine, progress_stream: TextIO | None = None,
              progress_min: int = 2000) -> AuditSummary:
    summary = AuditSummary.of(archive)
    progress = Progress(len(archive.items), "items", progress_stream, min_total=progress_min)
    started = time.perf_counter()
    for item in archive.items:
        draft = item.to_draft()
        now = item.timestamp
        try:
            judgement = engine.judge_fully(draft, now=now)
            _record_sent(engine, draft, judgement.features, now)
            verdict = judgement.verdict
        except Exception as error:  # noqa: BLE001 - one odd item must not end a long audit
            summary.note_failure(item, error)
        else:
            summary.add(item, verdict)
        progress.advance()
    progress.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _record_sent(engine: Engine, draft: Draft, features: Any, now: float | None) -> None:
    recipients = tuple(sorted(audience_of(draft, features)))
    if not recipients:
        return
    engine.history.record(SentRecord(
        time=time.time() if now is None else now,
        platform=draft.platform,
        kind=draft.kind,
        recipients=recipients,
        link_domains=tuple(features.link_domains()),
        signature=similarity_signature(draft.text) if draft.text_available else 0,
    ))
