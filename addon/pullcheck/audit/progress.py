"""A progress bar on stderr for long audits: redrawn in place on a terminal, a few plain lines
otherwise (a log file or CI should not fill up with carriage returns)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_EVERY_S = 0.1
PLAIN_STEPS = 10


class Progress:
    """Counts items done out of `total`; silent for archives shorter than `min_total`."""

    def __init__(
        self, total: int, label: str = "items", stream: TextIO | None = None, min_total: int = 2000
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total >= min_total
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._next_step = 1

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= REDRAW_EVERY_S or self.done >= self.total:
                self._last_draw = now
                self._draw_bar()
        elif self.done * PLAIN_STEPS >= self._next_step * self.total:
            while self._next_step * self.total <= self.done * PLAIN_STEPS:
                self._next_step += 1
            self.stream.write(f"audit: {self._status()}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self._draw_bar()
            self.stream.write("\n")
            self.stream.flush()

    def _draw_bar(self) -> None:
        filled = int(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
        bar = "█" * filled + "·" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self._status()}")
        self.stream.flush()

    def _status(self) -> str:
        share = 100 * self.done / self.total if self.total else 100.0
        elapsed = time.monotonic() - self.started
        return f"{share:3.0f}% {self.done:,}/{self.total:,} {self.label}, {elapsed:.1f} s"
