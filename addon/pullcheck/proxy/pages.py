"""Page tokens: one random secret per injected page, bound to that page's origin, living as long
as that page does.

The injector issues a token with every page it touches and puts it in a `data-` attribute of the
banner's script tag (never in the script URL: a site's Report-Only CSP reports send script URLs to
the site). The control endpoints accept a request only when its token was issued for the origin
the request is sent to. Another site never sees the token (it lives in the page of the configured
origin), and a token copied from one configured site does not open another's verdicts or holds.

A token lives while its page does. The banner keeps one `events` long poll open at all times
(`poll_opened`/`poll_closed`); a token is good while a poll is open and for `grace_s` after the
last one closed, and a fresh token must see its first poll within `first_use_s`. So a closed tab's
token dies about a minute after its last poll, not hours later. The same bookkeeping tells the
add-on whether any pullcheck page of an origin is open right now (`live_page`), which decides
whether a held post can be shown to anyone, and whether a page of an origin has been open lately
(`serves`), which decides whether that host's read responses may teach the memory.

Bounded (oldest tokens go first), so a proxy that runs for weeks keeps a few thousand short
strings.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# A page that never polls (its script blocked, the tab closed at once) loses its token after this.
FIRST_USE_S = 120.0
# After its last events poll closed, a page's token lives this long: the banner polls again at
# once (after 2 s on an error), and a throttled background tab may take up to a minute.
GRACE_S = 90.0
# A page counts as open for holds while a poll is open or closed at most this long ago.
LIVE_WITHIN_S = 5.0


@dataclass
class _Page:
    origin: str
    # Good until this time when no poll is open (monotonic seconds).
    alive_until: float
    last_poll_end: float | None = None
    open_polls: int = 0


class PageTokens:
    def __init__(
        self,
        max_tokens: int = 4096,
        grace_s: float = GRACE_S,
        first_use_s: float = FIRST_USE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_tokens = max_tokens
        self.grace_s = grace_s
        self.first_use_s = first_use_s
        self._clock = clock
        self._pages: OrderedDict[str, _Page] = OrderedDict()
        # origin -> last time one of its tokens was issued or used (for `serves`), as bounded.
        self._origins: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pages)

    def issue(self, origin: str) -> str:
        """A fresh token for a page on `origin` (URL-safe)."""
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._pages[token] = _Page(origin, alive_until=now + self.first_use_s)
            while len(self._pages) > self.max_tokens:
                self._pages.popitem(last=False)
            self._seen_origin_locked(origin, now)
        return token

    def _seen_origin_locked(self, origin: str, now: float) -> None:
        self._origins[origin] = now
        self._origins.move_to_end(origin)
        while len(self._origins) > self.max_tokens:
            self._origins.popitem(last=False)

    def serves(self, origin: str) -> bool:
        """Was a page of `origin` given a token or heard from lately (within the longer of
        `first_use_s` and `grace_s`)? One dict lookup: the response hook asks it per read."""
        last = self._origins.get(origin)
        return last is not None and self._clock() - last <= max(self.first_use_s, self.grace_s)

    def _live(self, token: str | None, now: float) -> _Page | None:
        """The page of a living token (a dead one is dropped). Call with the lock held."""
        if not token:
            return None
        page = self._pages.get(token)
        if page is None:
            return None
        if page.open_polls <= 0 and now > page.alive_until:
            del self._pages[token]
            return None
        return page

    def valid(self, token: str | None, origin: str) -> bool:
        """Was `token` issued for `origin`, and is its page still there?"""
        now = self._clock()
        with self._lock:
            page = self._live(token, now)
            if page is None or not hmac.compare_digest(page.origin.encode(), origin.encode()):
                return False
            self._seen_origin_locked(page.origin, now)
            return True

    def poll_opened(self, token: str | None) -> None:
        """The page of `token` opened an events poll: it is here."""
        with self._lock:
            page = self._live(token, self._clock())
            if page is not None:
                page.open_polls += 1
                self._pages.move_to_end(token)  # type: ignore[arg-type]

    def poll_closed(self, token: str | None) -> None:
        now = self._clock()
        with self._lock:
            page = self._pages.get(token) if token else None
            if page is not None:
                page.open_polls = max(0, page.open_polls - 1)
                page.last_poll_end = now
                page.alive_until = now + self.grace_s

    def live_page(self, origin: str, within_s: float = LIVE_WITHIN_S) -> bool:
        """Is a pullcheck page of `origin` open now: a poll open, or one closed within
        `within_s` seconds (the banner opens the next one at once)?"""
        now = self._clock()
        with self._lock:
            for page in self._pages.values():
                if page.origin != origin:
                    continue
                if page.open_polls > 0:
                    return True
                if page.last_poll_end is not None and now - page.last_poll_end <= within_s:
                    return True
        return False


class HasPages(Protocol):
    """A proxy state with its page tokens (`ProxyState.pages`): the injector issues them, the
    control endpoints and holds check them."""

    @property
    def pages(self) -> PageTokens: ...
