"""A proxy state for the banner endpoints' tests: real parts (tokens, feed, holds, config, rate
limit), without the optional ones (memory, route, tally, config watcher) unless a test adds
them. It is a `pullcheck.proxy.endpoint_http.EndpointState`, as `ProxyState` is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pullcheck.config import Config, ConfigError
from pullcheck.memory import Memory
from pullcheck.proxy.endpoint_http import ConfigReloads, DraftJudge
from pullcheck.proxy.feed import VerdictFeed
from pullcheck.proxy.holds import HoldRegistry
from pullcheck.proxy.notpush_endpoint import new_rate_limit
from pullcheck.proxy.pages import PageTokens
from pullcheck.proxy.siteroute import SiteRoute
from pullcheck.proxy.tally import ProxyTally
from pullcheck.proxy.trust import RateLimit


@dataclass
class BareEndpointState:
    engine: DraftJudge
    config: Config
    mode: str = "warn"
    pages: PageTokens = field(default_factory=PageTokens)
    feed: VerdictFeed = field(default_factory=VerdictFeed)
    holds: HoldRegistry = field(default_factory=lambda: HoldRegistry(timeout_s=5))
    memory: Memory | None = None
    route: SiteRoute | None = None
    tally: ProxyTally | None = None
    watcher: ConfigReloads | None = None
    notpush_rate: RateLimit = field(default_factory=new_rate_limit)

    def later(self, stage: str, job: Callable[[], object]) -> None:
        job()  # no background writer here: the test sees the write at once


def config_in(folder: Path) -> Config:
    """The default config, with its "Not push" list in `folder`."""
    return Config(notpush_file=folder / "notpush.yaml")


@dataclass
class WatcherThatPolls:
    """A config watcher whose every poll runs `on_poll` and reports a reload."""

    on_poll: Callable[[], object]
    error: ConfigError | None = None

    def poll(self) -> bool:
        self.on_poll()
        return True
