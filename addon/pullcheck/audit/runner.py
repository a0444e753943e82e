"""Judge every item of an archive with the engine, oldest first, and add up what it found.

Each item is judged as of its own send time, with the history of what the user had sent before
it, so the link-blast rule flags the fiftieth copy of a DM and not the first. The history is the
audit's own (see sent_window), never the proxy's sent log.

Two passes. First every item that reaches someone directly (recipients, a replied-to author,
mentions) becomes a sent record: audience and similarity signature, never the text. Then every
item is judged with the history cut at its own position. Because each judgement depends only on
the records before it, the second pass can be split between processes (fork, one per core, for
large archives) and still gives the same result as a one-by-one replay; a 100,000-item archive
must be audited in under a minute on a 2-core machine.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from dataclasses import dataclass
from typing import Any, TextIO

from pullcheck.audit.items import Archive, ArchiveItem
from pullcheck.audit.progress import Progress
from pullcheck.audit.sent_window import ChronologicalSentHistory
from pullcheck.audit.summary import AuditSummary
from pullcheck.engine import Engine, audience_of
from pullcheck.engine_factory import build_engine
from pullcheck.history import SentRecord
from pullcheck.signature import similarity_signature

# Below this, starting processes costs more than it saves.
PARALLEL_MIN_ITEMS = 20_000
MAX_WORKERS = 4
# Workers report progress in steps, not per item (a shared counter takes a lock).
PROGRESS_STEP = 500
WORKER_WAIT_S = 3600.0


def engine_for_audit(config: Any) -> Engine:
    """The user's configured engine (rules, overrides, allowlists) over an empty history."""
    return build_engine(config, ChronologicalSentHistory())


def default_workers(items: int) -> int:
    if items < PARALLEL_MIN_ITEMS or not _can_fork():
        return 1
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    return max(1, min(MAX_WORKERS, cores))


def _can_fork() -> bool:
    # Workers inherit the engine and the archive by fork; without fork, judge in-process.
    return "fork" in multiprocessing.get_all_start_methods()


def run_audit(
    archive: Archive,
    engine: Engine,
    progress_stream: TextIO | None = None,
    progress_min: int = 2000,
    workers: int | None = None,
) -> AuditSummary:
    started = time.perf_counter()
    items = archive.items
    count = default_workers(len(items)) if workers is None else max(1, workers)
    count = count if _can_fork() else 1
    records = _records_in_processes(items, count) if count > 1 else None
    if records is None:
        records = [_sent_record(item) for item in items]
    history = ChronologicalSentHistory()
    for record in records:
        if record is None:
            history.skip()
        else:
            history.record(record)
    engine.history = history
    progress = Progress(len(items), "items", progress_stream, min_total=progress_min)
    summary = None
    if count > 1:
        summary = _judge_in_processes(archive, engine, count, progress)
    if summary is None:
        summary = AuditSummary.of(archive)
        _judge_share(items, engine, summary, 0, 1, progress.advance)
    progress.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class _Share:
    index: int
    of: int


def _judge_share(
    items: list[ArchiveItem],
    engine: Engine,
    summary: AuditSummary,
    index: int,
    of: int,
    advance: Any,
) -> None:
    history = engine.history
    assert isinstance(history, ChronologicalSentHistory)
    for position in range(index, len(items), of):
        item = items[position]
        history.as_of(position)
        try:
            verdict = engine.judge(item.to_draft(), now=item.timestamp)
        except Exception as error:
            summary.note_failure(item, error)
        else:
            summary.add(item, verdict)
        advance()
    history.as_of(None)


def _judge_in_processes(
    archive: Archive, engine: Engine, count: int, progress: Progress
) -> AuditSummary | None:
    """Fork `count` workers, each judging every count-th item; None if any of them failed
    (the caller then judges everything itself)."""
    context = multiprocessing.get_context("fork")
    done = context.Value("q", 0)
    results: Any = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(archive, engine, _Share(n, count), done, results), daemon=True
        )
        for n in range(count)
    ]
    for process in processes:
        process.start()
    partials: list[AuditSummary] = []
    deadline = time.monotonic() + WORKER_WAIT_S
    try:
        while len(partials) < count and time.monotonic() < deadline:
            try:
                partials.append(results.get(timeout=0.1))
            except queue.Empty:
                if not any(p.is_alive() for p in processes) and results.empty():
                    break
            finally:
                progress.advance(done.value - progress.done)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
    if len(partials) < count or any(p is None for p in partials):
        progress.done = 0
        return None
    summary = AuditSummary.of(archive)
    for partial in partials:
        summary.merge(partial)
    return summary


def _worker(archive: Archive, engine: Engine, share: _Share, done: Any, results: Any) -> None:
    summary = AuditSummary.of(archive)
    pending = 0

    def advance() -> None:
        nonlocal pending
        pending += 1
        if pending >= PROGRESS_STEP:
            with done.get_lock():
                done.value += pending
            pending = 0

    try:
        _judge_share(archive.items, engine, summary, share.index, share.of, advance)
        with done.get_lock():
            done.value += pending
        results.put(summary)
    except BaseException:
        results.put(None)
        raise


# The items of the archive being recorded, for forked workers to read (never pickled).
_SHARED_ITEMS: list[ArchiveItem] = []


def _records_in_processes(items: list[ArchiveItem], count: int) -> list[SentRecord | None] | None:
    """The first pass split between `count` forked processes; None if that failed."""
    global _SHARED_ITEMS
    step = -(-len(items) // count)
    _SHARED_ITEMS = items
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.map(
                _records_of_range, [(start, start + step) for start in range(0, len(items), step)]
            )
    except Exception:
        return None
    finally:
        _SHARED_ITEMS = []
    return [record for part in parts for record in part]


def _records_of_range(bounds: tuple[int, int]) -> list[SentRecord | None]:
    start, stop = bounds
    return [_sent_record(item) for item in _SHARED_ITEMS[start:stop]]


def _sent_record(item: ArchiveItem) -> SentRecord | None:
    draft = item.to_draft(validate=False)
    recipients = tuple(sorted(audience_of(draft)))
    if not recipients:
        return None
    return SentRecord(
        time=item.timestamp if item.timestamp is not None else float("-inf"),
        platform=item.platform,
        kind=item.kind,
        recipients=recipients,
        # The audit's history answers only "who got something similar"; no domains needed.
        link_domains=(),
        signature=similarity_signature(item.text),
    )
