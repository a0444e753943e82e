"""Held posts and the user's decision on each: "send" (once) or "edit".

A flagged compose request in hold mode waits in the add-on's `request` hook on
`HoldRegistry.hold(...)`. Whoever decides (the `pullcheck.decide` command, the banner's decide
endpoint, a test) calls `decide(hold_id, "send"|"edit")`. The first decision wins and is final:
`decide` returns False for an unknown, already decided or timed-out hold, so a post is released
at most once. No answer within the timeout counts as "edit": nothing reaches the site.

The decision is taken under a lock and the waiting flow reads it from the hold record, not from
the wake-up, so a decision racing the timeout resolves one way for both sides.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Choice = Literal["send", "edit"]
Outcome = Literal["send", "edit", "timeout"]
CHOICES: tuple[str, ...] = ("send", "edit")


@dataclass
class Hold:
    hold_id: str
    flow_id: str
    origin: str
    verdict: dict[str, Any]
    summary: dict[str, Any]
    created: float = field(default_factory=time.time)
    outcome: Outcome | None = None
    _future: asyncio.Future[None] | None = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        """What the banner and the `pullcheck.holds` command may show."""
        return {
            "hold_id": self.hold_id,
            "origin": self.origin,
            "created": self.created,
            "verdict": self.verdict,
            "summary": self.summary,
        }


class HoldRegistry:
    def __init__(
        self,
        timeout_s: float = 120.0,
        on_resolved: Callable[[Hold], None] | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.on_resolved = on_resolved
        self._holds: dict[str, Hold] = {}
        self._lock = threading.Lock()
        self._serial = itertools.count(1)

    def open(
        self,
        flow_id: str,
        origin: str,
        verdict: dict[str, Any],
        summary: dict[str, Any],
    ) -> Hold:
        """Register a hold; the caller then awaits `wait(hold)`. Must run on the event loop that
        will wait."""
        # Unguessable ids: another page must not be able to release a post by counting.
        hold_id = f"h{next(self._serial)}-{secrets.token_hex(6)}"
        hold = Hold(hold_id, flow_id, origin, verdict, summary)
        hold._future = asyncio.get_running_loop().create_future()
        with self._lock:
            self._holds[hold_id] = hold
        return hold

    async def wait(self, hold: Hold, timeout_s: float | None = None) -> Outcome:
        """The decision for `hold`: "send", "edit", or "timeout" (which means edit)."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        assert hold._future is not None
        try:
            await asyncio.wait_for(asyncio.shield(hold._future), timeout)
        except TimeoutError:
            self._settle(hold, "timeout")
        except asyncio.CancelledError:
            # The client went away (or the proxy is shutting down): nothing is sent.
            self._settle(hold, "edit")
            raise
        assert hold.outcome is not None
        return hold.outcome

    async def hold(
        self,
        flow_id: str,
        origin: str,
        verdict: dict[str, Any],
        summary: dict[str, Any],
        timeout_s: float | None = None,
    ) -> Outcome:
        return await self.wait(self.open(flow_id, origin, verdict, summary), timeout_s)

    def decide(self, hold_id: str, choice: str, origin: str | None = None) -> bool:
        """Apply the user's choice. False if the hold is unknown, belongs to another origin,
        was already decided or timed out, or the choice is not "send"/"edit"."""
        if choice not in CHOICES:
            return False
        with self._lock:
            hold = self._holds.get(hold_id)
            if hold is None or (origin is not None and hold.origin != origin):
                return False
        return self._settle(hold, choice)  # type: ignore[arg-type]

    def _settle(self, hold: Hold, outcome: Outcome) -> bool:
        with self._lock:
            if hold.outcome is not None:
                return False
            hold.outcome = outcome
            self._holds.pop(hold.hold_id, None)
        future = hold._future
        if future is not None and not future.done():
            loop = future.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future)
        if self.on_resolved is not None:
            self.on_resolved(hold)
        return True

    def get(self, hold_id: str) -> Hold | None:
        with self._lock:
            return self._holds.get(hold_id)

    def pending(self, origin: str | None = None) -> list[Hold]:
        with self._lock:
            holds = list(self._holds.values())
        return [h for h in holds if origin is None or h.origin == origin]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
