"""Page tokens: one random secret per injected page, bound to that page's origin.

The injector issues a token with every page it touches and puts it in the banner's script URL;
the control endpoints accept a request only when its token was issued for the origin the request
is sent to. Another site never sees the token (it lives in the page of the configured origin), and
a token copied from one configured site does not open another's verdicts or holds.

Bounded (oldest tokens go first) and expiring (a token unused for `ttl_s` dies), so a proxy that
runs for weeks keeps a few thousand short strings. Using a token extends its life: an open tab
that keeps polling keeps working.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class PageTokens:
    def __init__(
        self,
        max_tokens: int = 4096,
        ttl_s: float = 12 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_tokens = max_tokens
        self.ttl_s = ttl_s
        self._clock = clock
        # token -> (origin, last use)
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()
        # origin -> last time one of its tokens was issued or used (for `serves`), as bounded.
        self._origins: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def issue(self, origin: str) -> str:
        """A fresh token for a page on `origin` (URL-safe: goes into a query string)."""
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._tokens[token] = (origin, now)
            while len(self._tokens) > self.max_tokens:
                self._tokens.popitem(last=False)
            self._seen_origin_locked(origin, now)
        return token

    def _seen_origin_locked(self, origin: str, now: float) -> None:
        self._origins[origin] = now
        self._origins.move_to_end(origin)
        while len(self._origins) > self.max_tokens:
            self._origins.popitem(last=False)

    def valid(self, token: str | None, origin: str) -> bool:
        """Was `token` issued for `origin`, and used within the last `ttl_s` seconds?"""
        if not token:
            return False
        now = self._clock()
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return False
            bound, last = entry
            if now - last > self.ttl_s:
                del self._tokens[token]
                return False
            if not hmac.compare_digest(bound.encode(), origin.encode()):
                return False
            self._tokens[token] = (bound, now)
            self._tokens.move_to_end(token)
            self._seen_origin_locked(bound, now)
        return True

    def serves(self, origin: str) -> bool:
        """Is a page of `origin` open through the proxy (a token issued or used for it within
        `ttl_s`)? One dict lookup: asked for every read response of a host nobody configured."""
        now = self._clock()
        with self._lock:
            last = self._origins.get(origin)
        return last is not None and now - last <= self.ttl_s


def page_tokens(state: Any) -> PageTokens:
    """The proxy state's page tokens, attached on first use.

    `ProxyState` (owned by the proxy side) carries no token store in the shared contract; keeping
    it here means the injector and the control endpoints share one store without widening that
    contract. A state that already has `pages` (a `PageTokens`) is used as it is.
    """
    tokens = getattr(state, "pages", None)
    if tokens is None:
        tokens = PageTokens()
        state.pages = tokens
    return tokens
