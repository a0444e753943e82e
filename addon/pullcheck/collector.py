"""Pausing Python's cyclic garbage collector while a rule pack is built.

Building a pack makes a few hundred thousand objects that live as long as the pack (phrase
groups, their regexes, the phrase index). Each time allocations pass the collector's threshold
it walks the young objects, and now and then all of them: over one build that was 0.3-0.5 s of
CPU in `pullcheck check` (issue 13), about a fifth of its start. While the collector is paused,
reference counting still frees everything that is not part of a cycle, and the collector runs
again as soon as the last pause ends. Pauses may nest and overlap across threads (a reload on the
polling thread while the proxy judges): the collector stays off until every one of them ended,
and is switched on again only if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.resume = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (unless another thread forces one)."""
    with _PAUSES.lock:
        if _PAUSES.open == 0:
            _PAUSES.resume = gc.isenabled()
            gc.disable()
        _PAUSES.open += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.open -= 1
            if _PAUSES.open == 0 and _PAUSES.resume:
                gc.enable()
