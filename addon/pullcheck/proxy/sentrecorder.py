"""Writing sends to the sent log (and counts to the stats) off the proxy's event loop.

Recording a send costs the engine's feature extraction and a SQLite commit (a millisecond or
two); done inside the `response` hook it would delay the site's answer to the page and every
other flow on the loop. One background thread takes the writes in order instead. A send is
visible to the link-blast rule a moment after its response went back, which is far sooner than
a person can send the next message. Each write starts `SETTLE_S` after it was queued, so the
answer it follows reaches the page before this thread competes for the interpreter. The
dashboard's counters (`later`) ride the same thread, so a compose request does not wait for a
SQLite commit before it goes upstream.

Jobs queued on the event loop are handed to the thread together, one batch per `SETTLE_S`:
waking a thread costs a pair of context switches on a busy machine (measured in the
proxy's profile as a tenth of a millisecond per `put`), and a compose request queues two jobs
(its count, then its send). Called from any other thread, a job is handed over at once and the
thread waits out `SETTLE_S` itself, as before.

Errors are counted and logged by the fail-open guard like any other stage ("sent-log", or the
stage given to `later`).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pullcheck.models import Draft
from pullcheck.proxy.failsafe import FailSafe

if TYPE_CHECKING:
    from pullcheck.engine import Engine, Judgement

# A job's result is not used: `object` takes any callable.
_Batch = list[tuple[str, Callable[[], object]]]
_Job = tuple[float, _Batch] | threading.Event | None
# A job waits this long after it was queued: the answer it follows is written to the page's
# socket first, instead of waiting for the GIL while this thread extracts features.
SETTLE_S = 0.02
# A hand-over scheduled on an event loop that stopped before it ran is given up after this long
# (the next job, `flush` or `close` hands the waiting jobs over instead).
LOST_TIMER_S = 1.0


class SentRecorder:
    def __init__(self, failsafe: FailSafe) -> None:
        self.failsafe = failsafe
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        # Jobs queued on the event loop, waiting for the scheduled hand-over.
        self._pending: _Batch = []
        self._armed_at: float | None = None

    def record(self, engine: Engine, draft: Draft, judged: Judgement | None = None) -> None:
        """Queue `engine.record_sent(draft, judged=judged)`; returns at once."""
        self.later("sent-log", lambda: engine.record_sent(draft, judged=judged))

    def later(self, stage: str, job: Callable[[], object]) -> None:
        """Queue any write; `stage` names it in the fail-open counts."""
        now = time.monotonic()
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="pullcheck-sent-log", daemon=True
                )
                self._thread.start()
            self._pending.append((stage, job))
            if self._armed_at is not None and now - self._armed_at < LOST_TIMER_S:
                return  # the scheduled hand-over takes this one too
            self._armed_at = now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self._hand_over(now + SETTLE_S)
        else:
            loop.call_later(SETTLE_S, self._hand_over, 0.0)

    def _hand_over(self, due: float) -> None:
        with self._lock:
            batch, self._pending, self._armed_at = self._pending, [], None
        if batch:
            self._jobs.put((due, batch))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            due, batch = job
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            for stage, work in batch:
                with self.failsafe.guard(stage):
                    work()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown)."""
        with self._lock:
            if self._thread is None:
                return True
        self._hand_over(0.0)
        done = threading.Event()
        self._jobs.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._hand_over(0.0)
            self._jobs.put(None)
            thread.join(timeout)
