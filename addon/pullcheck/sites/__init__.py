"""Site adapters: one module per site, turning compose requests into drafts and read responses
into memory. No mitmproxy here: the proxy hands over `WireRequest`/`WireResponse`.

`adapter_for_request(req, sites_config)` is called for every request the proxy sees, so the
host lookup is precomputed (`SiteRouter`) and cached for the `sites_config` object it was built
from; a new config object (a reload) builds a new router.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Protocol

from pullcheck.sites import bluesky, linkedin, mastodon, reddit, x
from pullcheck.sites.adapter import SiteAdapter
from pullcheck.sites.wire import WireRequest

ADAPTERS: tuple[SiteAdapter, ...] = (
    x.ADAPTER,
    mastodon.ADAPTER,
    bluesky.ADAPTER,
    linkedin.ADAPTER,
    reddit.ADAPTER,
)
ADAPTERS_BY_NAME: dict[str, SiteAdapter] = {adapter.name: adapter for adapter in ADAPTERS}

__all__ = [
    "ADAPTERS",
    "ADAPTERS_BY_NAME",
    "RoutedRequest",
    "SiteAdapter",
    "SiteRouter",
    "SiteSettings",
    "SitesConfig",
    "adapter_for_request",
]


class SiteSettings(Protocol):
    """One site's settings as the router reads them (the config's `SiteConfig`)."""

    @property
    def enabled(self) -> bool: ...

    @property
    def hosts(self) -> list[str] | None: ...

    @property
    def any_host(self) -> bool | None: ...


# Site name -> its settings, as a `SiteSettings` or a plain mapping with the same keys.
SiteMap = Mapping[str, SiteSettings | Mapping[str, object]]


class HasSites(Protocol):
    """A whole config (`Config`): its `sites` are read."""

    @property
    def sites(self) -> SiteMap: ...


SitesConfig = SiteMap | HasSites | None


class RoutedRequest(Protocol):
    """What routing reads of a request (a `WireRequest` has it)."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def path(self) -> str: ...


def _setting(site: SiteSettings | Mapping[str, object] | None, key: str) -> object:
    if site is None:
        return None
    if isinstance(site, Mapping):
        return site.get(key)
    return getattr(site, key, None)


def _split_host(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` -> (lower-case host, port or None)."""
    entry = entry.strip().lower().rstrip(".")
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host.rstrip("."), int(port) if port.isdigit() else None
    return entry, None


class SiteRouter:
    """Which adapter reads a request, from the configured hosts of each enabled site."""

    def __init__(
        self, sites_config: SitesConfig = None, adapters: tuple[SiteAdapter, ...] = ADAPTERS
    ) -> None:
        sites: SiteMap = {}
        if isinstance(sites_config, Mapping):
            sites = sites_config
        elif sites_config is not None and isinstance(sites_config.sites, Mapping):
            sites = sites_config.sites
        self._hosts: dict[str, list[SiteAdapter]] = {}
        self._host_ports: dict[tuple[str, int], list[SiteAdapter]] = {}
        self._suffixes: dict[str, list[SiteAdapter]] = {}
        self._any_host: list[SiteAdapter] = []
        self.enabled: list[SiteAdapter] = []
        for adapter in adapters:
            site = sites.get(adapter.name)
            if _setting(site, "enabled") is False:
                continue
            self.enabled.append(adapter)
            hosts = _setting(site, "hosts")
            if hosts is None:
                hosts = adapter.default_hosts
            for entry in hosts if isinstance(hosts, list | tuple) else ():
                if not isinstance(entry, str) or not entry.strip():
                    continue
                if entry.strip().startswith("*."):
                    # "*.host.bsky.network" matches any depth below the suffix.
                    suffix = entry.strip().lower()[1:]
                    self._suffixes.setdefault(suffix, []).append(adapter)
                    continue
                host, port = _split_host(entry)
                if port is None:
                    self._hosts.setdefault(host, []).append(adapter)
                else:
                    self._host_ports.setdefault((host, port), []).append(adapter)
            any_host = _setting(site, "any_host")
            if any_host is None:
                any_host = adapter.any_host
            if any_host:
                self._any_host.append(adapter)
        self.has_suffixes = bool(self._suffixes)

    def _on_host(self, host: str, port: int) -> list[SiteAdapter] | None:
        """The adapters whose configured hosts (not their any-host paths) name `host:port`."""
        candidates = self._host_ports.get((host, port)) or self._hosts.get(host)
        if candidates is None and self.has_suffixes:
            dot = host.find(".")
            while dot >= 0 and candidates is None:
                candidates = self._suffixes.get(host[dot:])
                dot = host.find(".", dot + 1)
        return candidates

    def is_configured_host(self, host: str, port: int) -> bool:
        """Named in the config (or the adapters' defaults): where the banner may be injected
        and its control endpoints answer. Any-host matches do not count."""
        return bool(self._on_host(host, port))

    def route(self, req: RoutedRequest) -> SiteAdapter | None:
        candidates = self._on_host(req.host, req.port)
        if candidates:
            if len(candidates) == 1:
                return candidates[0]
            # Several sites on one host (a test server, the demo): the one that reads the path.
            for adapter in candidates:
                if adapter.paths.match(req.path):
                    return adapter
            return candidates[0]
        path = req.path
        for adapter in self._any_host:
            if path.startswith(adapter.any_host_paths) and adapter.paths.match(path):
                return adapter
        return None

    def watched_hosts(self) -> dict[str, list[str]]:
        """Site name -> host entries it watches (for `pullcheck run` to print)."""
        out: dict[str, list[str]] = {adapter.name: [] for adapter in self.enabled}
        for host, adapters in self._hosts.items():
            for adapter in adapters:
                out[adapter.name].append(host)
        for (host, port), adapters in self._host_ports.items():
            for adapter in adapters:
                out[adapter.name].append(f"{host}:{port}")
        for suffix, adapters in self._suffixes.items():
            for adapter in adapters:
                out[adapter.name].append(f"*{suffix}")
        for adapter in self._any_host:
            out[adapter.name].append("(its API paths on any host)")
        return out


_cache_lock = threading.Lock()
_cached: tuple[SitesConfig, SiteRouter] | None = None


def router_for(sites_config: SitesConfig) -> SiteRouter:
    """The router for a config, built once per config object."""
    global _cached
    cached = _cached
    if cached is not None and cached[0] is sites_config:
        return cached[1]
    with _cache_lock:
        router = SiteRouter(sites_config)
        _cached = (sites_config, router)  # keeps a reference: the id cannot be reused
        return router


def adapter_for_request(req: WireRequest, sites_config: SitesConfig = None) -> SiteAdapter | None:
    """The adapter of the site this request goes to, or None (the common, cheap case).

    `sites_config` maps a site name to an object with `enabled`, `hosts` (None = the adapter's
    defaults; `host`, `host:port` or `*.suffix`) and `any_host` (None = the adapter's default); a
    `Config` with a `.sites` attribute is accepted too. Missing sites use their defaults.
    """
    return router_for(sites_config).route(req)
