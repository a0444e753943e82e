"""What the banner of each page learns: verdicts, holds and their outcome, per page origin.

A page sees only the events of its own origin (the control endpoint passes the origin it
verified), so another site can never read a draft's verdict or a hold. Each origin keeps a
bounded list of recent events with increasing sequence numbers; the banner long-polls with the
last number it saw (`wait(origin, after_seq, timeout)`).

The feed lives on the proxy's event loop. `publish` may be called from another thread (tests,
a command); waiters are woken on their own loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]


@dataclass
class _Channel:
    events: deque[tuple[int, Event]]
    seq: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class VerdictFeed:
    def __init__(self, per_origin: int = 50, max_origins: int = 256) -> None:
        self.per_origin = per_origin
        self.max_origins = max_origins
        self._channels: OrderedDict[str, _Channel] = OrderedDict()
        self._lock = threading.Lock()

    def _channel(self, origin: str) -> _Channel:
        channel = self._channels.get(origin)
        if channel is None:
            channel = _Channel(events=deque(maxlen=self.per_origin))
            self._channels[origin] = channel
            while len(self._channels) > self.max_origins:
                _, dropped = self._channels.popitem(last=False)
                _wake(dropped.waiters)
        else:
            self._channels.move_to_end(origin)
        return channel

    def publish(self, origin: str, event: Event) -> int:
        """Append an event for `origin`; returns its sequence number (1, 2, ...)."""
        with self._lock:
            channel = self._channel(origin)
            channel.seq += 1
            stamped = {**event, "seq": channel.seq}
            channel.events.append((channel.seq, stamped))
            waiters, channel.waiters = channel.waiters, []
        _wake(waiters)
        return stamped["seq"]

    def publish_everywhere(self, event: Event) -> int:
        """Append `event` for every origin that has a channel (pages that polled): news every
        open banner should hear at once, such as a config edit the proxy rejected. Returns how
        many origins got it."""
        with self._lock:
            origins = list(self._channels)
        for origin in origins:
            self.publish(origin, event)
        return len(origins)

    def last_seq(self, origin: str) -> int:
        with self._lock:
            channel = self._channels.get(origin)
            return channel.seq if channel else 0

    def events_after(self, origin: str, after_seq: int) -> list[Event]:
        with self._lock:
            channel = self._channels.get(origin)
            if channel is None:
                return []
            return _newer(channel, after_seq)

    async def wait(self, origin: str, after_seq: int, timeout: float) -> list[Event]:
        """Events newer than `after_seq`, waiting up to `timeout` seconds for the first one.
        An empty list means nothing happened in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                channel = self._channel(origin)
                fresh = _newer(channel, after_seq)
                if fresh:
                    return fresh
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                waiter: asyncio.Future[None] = loop.create_future()
                channel.waiters.append(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except TimeoutError:
                with self._lock:
                    if waiter in channel.waiters:
                        channel.waiters.remove(waiter)
                return self.events_after(origin, after_seq)


def _newer(channel: _Channel, after_seq: int) -> list[Event]:
    # A number from the future means the channel was dropped and started again: send it all.
    if after_seq > channel.seq:
        after_seq = 0
    return [event for seq, event in channel.events if seq > after_seq]


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        loop = waiter.get_loop()
        if loop.is_closed():
            continue
        loop.call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
