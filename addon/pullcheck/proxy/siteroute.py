"""Which site adapter, if any, a flow belongs to: the add-on's first and cheapest question.

Built once per config and asked on every flow. The matching itself is the sites package's
`SiteRouter` (configured hosts, `host:port`, `*.suffix`, several sites on one host told apart by
path, `any_host` sites recognised by their API paths on unknown hosts); this wrapper asks it
with just host, port and path, so a non-social flow costs a dict lookup or two and a couple of
anchored regex matches, never the building of a `WireRequest`.

It also answers "is this a configured origin?" (the hosts named in the config or the adapters'
defaults, not the any-host matches): only there does the banner get injected and do control
endpoints answer.
"""

from __future__ import annotations

from typing import NamedTuple

from pullcheck.sites import SiteAdapter, SiteRouter, SitesConfig


class _Target(NamedTuple):
    # The three fields SiteRouter.route reads (a `RoutedRequest`).
    host: str
    port: int
    path: str


class SiteRoute:
    def __init__(self, sites_config: SitesConfig) -> None:
        self.router = SiteRouter(sites_config)
        self.watched: dict[str, list[str]] = self.router.watched_hosts()

    def match(self, host: str, port: int, path: str) -> SiteAdapter | None:
        """The adapter for a flow to `host:port` + `path` (no query), or None."""
        return self.router.route(_Target(host, port, path))

    def is_configured_origin(self, host: str, port: int) -> bool:
        return self.router.is_configured_host(host, port)

    def sites_on(self, host: str, port: int) -> set[str]:
        """The names of the sites configured on `host:port` (several share a test server)."""
        return {adapter.name for adapter in self.router._on_host(host, port) or ()}

    def describe(self) -> str:
        """`x (x.com, twitter.com); mastodon (...)` for start-up messages."""
        return "; ".join(
            f"{name} ({', '.join(hosts)})" for name, hosts in self.watched.items() if hosts
        )
