"""Which host taught what: the memory scope of a flow, and whether its host may teach at all.

Any website can send requests through the proxy to its own host and answer them as it likes, so
what a response "shows" is only as good as the host that sent it:

- **Scope.** Memory keeps what it learns per (site, scope) and a draft reads only its own scope.
  Mastodon ids belong to one instance, so every Mastodon host is its own scope. X, Bluesky,
  LinkedIn and Reddit ids are global to the site, and their configured hosts work together (a
  Bluesky client reads through the user's PDS, which proxies to the appview `*.bsky.app` /
  `*.bsky.network`), so a site's configured hosts share one scope. A host nobody configured
  (an `any_host` match) is always a scope of its own.
- **Who may teach.** Read responses are remembered only from a configured host, or from a host
  with a page open through the proxy (the injector gave that page a token). Compose requests to
  other hosts are still judged (fail open), but what they may store is rate-limited
  (`UntrustedWrites`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("pullcheck")

CONFIGURED_SCOPE = "configured"
# Sites whose post ids are only unique within one host.
PER_HOST_SITES = frozenset({"mastodon"})
_DEFAULT_PORTS = frozenset({80, 443})


def host_key(host: str, port: int) -> str:
    host = host.lower().rstrip(".")
    return host if port in _DEFAULT_PORTS else f"{host}:{port}"


# Mastodon instances may stream from a host of their own (mastodon.social streams from
# streaming.mastodon.social): it belongs to the instance below it.
_STREAMING_PREFIX = "streaming."


def instance_host(route: Any, platform: str, host: str, port: int) -> str:
    """The host a flow speaks for: `streaming.INSTANCE` of a configured Mastodon instance is
    that instance; any other host is itself."""
    if platform == "mastodon" and host.startswith(_STREAMING_PREFIX) and route is not None:
        below = host[len(_STREAMING_PREFIX) :]
        if route.is_configured_origin(below, port):
            return below
    return host


def scope_of(route: Any, platform: str, host: str, port: int) -> str:
    """The memory scope of a flow of `platform` to `host:port`."""
    host = instance_host(route, platform, host, port)
    configured = route is not None and route.is_configured_origin(host, port)
    if platform not in PER_HOST_SITES and configured:
        return CONFIGURED_SCOPE
    return host_key(host, port)


def history_scope(scope: str) -> str:
    """`Draft.scope` for a memory scope: "" for the configured hosts (the sent log's rows from
    before scopes existed are theirs), the host itself otherwise."""
    return "" if scope == CONFIGURED_SCOPE else scope


def origin_of(scheme: str, host: str, port: int) -> str:
    """`scheme://host[:port]`: the origin page tokens are bound to (`flowwire.request_origin` of
    a flow)."""
    scheme = scheme.lower()
    host = host.lower()
    default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"


def may_teach(state: Any, scheme: str, host: str, port: int, platform: str = "") -> bool:
    """May a response from this host write into memory and the opportunity log?"""
    if state.route.is_configured_origin(instance_host(state.route, platform, host, port), port):
        return True
    pages = getattr(state, "pages", None)
    return pages is not None and pages.serves(origin_of(scheme, host, port))


class RateLimit:
    """Token buckets per key (`rate` per minute, bursts of `burst`), for at most `max_keys` keys
    (least recently used forgotten: a forgotten key starts with a full bucket again, so the
    global bucket of `UntrustedWrites` is what bounds many keys)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_keys: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed


class UntrustedWrites:
    """How many compose requests to hosts nobody configured may reach the sent log, the audit
    log and the stats: a few per minute per host, and a few more per minute for all such hosts
    together (a page can send to any number of its own subdomains)."""

    PER_HOST_PER_MINUTE = 6
    ALL_HOSTS_PER_MINUTE = 20
    # Hosts named in a warning, at most: a page with endless subdomains must not flood the log.
    MAX_SAID = 32

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_host = RateLimit(self.PER_HOST_PER_MINUTE, self.PER_HOST_PER_MINUTE, clock=clock)
        self._all = RateLimit(self.ALL_HOSTS_PER_MINUTE, self.ALL_HOSTS_PER_MINUTE, clock=clock)
        self.refused = 0
        self._said: set[str] = set()

    def allow(self, host: str) -> bool:
        if self._per_host.allow(host) and self._all.allow("*"):
            return True
        self.refused += 1
        if host not in self._said and len(self._said) < self.MAX_SAID:
            self._said.add(host)
            logger.warning(
                "pullcheck: %s is not a configured host and sends many posts: further ones are "
                "judged but not stored (sent log, audit log, numbers); add it to sites.*.hosts "
                "if it is yours (said once)",
                host,
            )
        return False
