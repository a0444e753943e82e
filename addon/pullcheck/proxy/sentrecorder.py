"""Writing sends to the sent log (and counts to the stats) off the proxy's event loop.

Recording a send costs the engine's feature extraction and a SQLite commit (a millisecond or
two); done inside the `response` hook it would delay the site's answer to the page and every
other flow on the loop. One background thread takes the writes in order instead. A send is
visible to the link-blast rule a moment after its response went back, which is far sooner than
a person can send the next message. Each write starts `SETTLE_S` after it was queued, so the
answer it follows reaches the page before this thread competes for the interpreter. The
dashboard's counters (`later`) ride the same thread, so a compose request does not wait for a
SQLite commit before it goes upstream.

Errors are counted and logged by the fail-open guard like any other stage ("sent-log", or the
stage given to `later`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from pullcheck.proxy.failsafe import FailSafe

_Job = tuple[float, str, Callable[[], Any]] | threading.Event | None
# A job waits this long after it was queued: the answer it follows is written to the page's
# socket first, instead of waiting for the GIL while this thread extracts features.
SETTLE_S = 0.02


class SentRecorder:
    def __init__(self, failsafe: FailSafe) -> None:
        self.failsafe = failsafe
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def record(self, engine: Any, draft: Any) -> None:
        """Queue `engine.record_sent(draft)`; returns at once."""
        self.later("sent-log", lambda: engine.record_sent(draft))

    def later(self, stage: str, job: Callable[[], Any]) -> None:
        """Queue any write; `stage` names it in the fail-open counts."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="pullcheck-sent-log", daemon=True
                )
                self._thread.start()
        self._jobs.put((time.monotonic() + SETTLE_S, stage, job))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            due, stage, work = job
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self.failsafe.guard(stage):
                work()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown)."""
        with self._lock:
            if self._thread is None:
                return True
        done = threading.Event()
        self._jobs.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout)
