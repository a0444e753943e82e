"""Which site adapter, if any, a host belongs to: the add-on's first and cheapest question.

Built once per config from each site's `hosts` (or the adapter's defaults) and asked on every
flow, so the answer for non-social traffic is one or two dict lookups: exact `host:port`, exact
`host`, then each parent domain against the `*.suffix` entries.

Sites with `any_host` (Mastodon: thousands of instances) also match on other hosts, but only for
their own API paths (`adapter.any_host_paths`, path prefixes), so a page on an unrelated host
still costs a prefix check and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pullcheck.sites.wire import WireRequest

# A site's API under any host, when the adapter does not say: Mastodon's REST and streaming API.
_DEFAULT_ANY_HOST_PATHS: tuple[str, ...] = ("/api/v1/", "/api/v2/")


@dataclass(frozen=True)
class SiteRoute:
    exact: Mapping[str, Any]
    suffixes: Mapping[str, Any]
    any_host: tuple[tuple[Any, tuple[str, ...]], ...]

    @classmethod
    def build(cls, adapters: Iterable[Any], sites: Mapping[str, Any]) -> SiteRoute:
        exact: dict[str, Any] = {}
        suffixes: dict[str, Any] = {}
        any_host: list[tuple[Any, tuple[str, ...]]] = []
        for adapter in adapters:
            site = sites.get(adapter.name)
            if site is not None and not site.enabled:
                continue
            hosts = site.hosts if site is not None and site.hosts is not None else None
            if hosts is None:
                hosts = list(adapter.default_hosts)
            for host in hosts:
                host = host.lower()
                if host.startswith("*."):
                    suffixes.setdefault(host[2:], adapter)
                elif host.startswith("."):
                    suffixes.setdefault(host[1:], adapter)
                else:
                    exact.setdefault(host, adapter)
            wide = site.any_host if site is not None and site.any_host is not None else None
            if wide is None:
                wide = bool(getattr(adapter, "any_host", False))
            if wide:
                paths = tuple(getattr(adapter, "any_host_paths", None) or _DEFAULT_ANY_HOST_PATHS)
                any_host.append((adapter, paths))
        return cls(exact, suffixes, tuple(any_host))

    def by_host(self, host: str, port: int) -> Any | None:
        """The adapter whose host list names this host (or a parent domain of it)."""
        adapter = self.exact.get(f"{host}:{port}")
        if adapter is not None:
            return adapter
        adapter = self.exact.get(host)
        if adapter is not None:
            return adapter
        if self.suffixes:
            dot = host.find(".")
            while dot != -1:
                adapter = self.suffixes.get(host[dot + 1 :])
                if adapter is not None:
                    return adapter
                dot = host.find(".", dot + 1)
        return None

    def match(self, host: str, port: int, path: str) -> Any | None:
        adapter = self.by_host(host, port)
        if adapter is not None:
            return adapter
        for wide, prefixes in self.any_host:
            if path.startswith(prefixes):
                return wide
        return None

    def is_configured_origin(self, host: str, port: int) -> bool:
        """Hosts named in the config (or the adapters' defaults): where the banner lives.
        Any-host matches do not count: an unknown host is not a configured origin."""
        return self.by_host(host, port) is not None

    def adapter_for(self, request: WireRequest) -> Any | None:
        return self.match(request.host, request.port, request.path)
