"""Fail open: an error in pullcheck must never cost the user a request.

Everything the add-on calls that is not mitmproxy itself (site adapters, the engine, the memory,
the sent log, the banner injector) runs inside `FailSafe.guard(stage)`. An exception is swallowed,
counted per cause and logged once per cause (then at most once per `quiet_s` with the count), so a
bug that fires on every request neither floods the log nor stops the proxy.

Cause = stage + exception type + the innermost source location, so the same bug in two places
is two causes and the same bug on a thousand flows is one.

The guard itself changes nothing in the flow; callers only read the flow inside a guard, or
snapshot what they are about to change (see `ResponseSnapshot`) so it can be put back.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from mitmproxy import http

logger = logging.getLogger("pullcheck")


class Cause(NamedTuple):
    stage: str
    error: str
    where: str

    def __str__(self) -> str:
        return f"{self.stage}: {self.error} at {self.where}"


def _innermost_location(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno}"


class FailSafe:
    """Swallows, counts and rate-limits the logging of errors, per cause."""

    def __init__(self, quiet_s: float = 60.0, log: logging.Logger = logger) -> None:
        self.quiet_s = quiet_s
        self.counts: Counter[Cause] = Counter()
        self._log = log
        self._last_logged: dict[Cause, float] = {}
        self._logged_count: dict[Cause, int] = {}
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, stage: str) -> int:
        """How many errors `stage` swallowed so far (all causes)."""
        return sum(n for cause, n in self.counts.items() if cause.stage == stage)

    @contextmanager
    def guard(self, stage: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            self.record(stage, exc)

    def record(self, stage: str, exc: BaseException) -> Cause:
        cause = Cause(stage, type(exc).__name__, _innermost_location(exc))
        now = time.monotonic()
        with self._lock:
            self.counts[cause] += 1
            n = self.counts[cause]
            last = self._last_logged.get(cause)
            due = last is None or now - last >= self.quiet_s
            if due:
                since = n - self._logged_count.get(cause, 0)
                self._last_logged[cause] = now
                self._logged_count[cause] = n
        if due:
            if n == 1:
                self._log.warning(
                    "pullcheck passed a flow through untouched after %s (%s)", cause, exc
                )
            else:
                self._log.warning(
                    "pullcheck: %s happened %d more times (%d in all)", cause, since, n
                )
        return cause


class ResponseSnapshot:
    """What a response looked like before a step that may change it, so a failed step leaves
    the response byte-identical (headers, wire body, status)."""

    __slots__ = ("_headers", "_raw", "_response", "_status")

    def __init__(self, response: http.Response) -> None:
        self._response = response
        self._headers = response.headers.copy()
        self._raw = response.raw_content
        self._status = response.status_code

    def restore(self) -> None:
        self._response.headers = self._headers
        self._response.raw_content = self._raw
        self._response.status_code = self._status
