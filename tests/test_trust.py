"""Which host taught what: scopes, who may teach, and the rate of untrusted writes."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from pullcheck.proxy.pages import PageTokens
from pullcheck.proxy.siteroute import SiteRoute
from pullcheck.proxy.trust import (
    CONFIGURED_SCOPE,
    RateLimit,
    UntrustedWrites,
    may_teach,
    scope_of,
)

ROUTE = SiteRoute(
    {
        "bluesky": {"hosts": ["pds.example", "*.bsky.app"]},
        "mastodon": {"hosts": ["mastodon.social", "home.example"]},
    }
)


def test_configured_bluesky_hosts_share_one_scope_and_others_get_their_own():
    assert scope_of(ROUTE, "bluesky", "pds.example", 443) == CONFIGURED_SCOPE
    assert scope_of(ROUTE, "bluesky", "api.bsky.app", 443) == CONFIGURED_SCOPE
    assert scope_of(ROUTE, "bluesky", "evil.example", 443) == "evil.example"
    assert scope_of(ROUTE, "bluesky", "evil.example", 8443) == "evil.example:8443"


def test_every_mastodon_instance_is_its_own_scope():
    assert scope_of(ROUTE, "mastodon", "mastodon.social", 443) == "mastodon.social"
    assert scope_of(ROUTE, "mastodon", "home.example", 443) == "home.example"


def test_configured_hosts_and_hosts_with_an_open_page_may_teach():
    state = SimpleNamespace(route=ROUTE, pages=PageTokens())
    assert may_teach(state, "https", "pds.example", 443)
    assert not may_teach(state, "https", "evil.example", 443)
    state.pages.issue("https://evil.example")
    assert may_teach(state, "https", "evil.example", 443)
    assert not may_teach(state, "http", "evil.example", 80)


def test_a_rate_limit_refills_with_time():
    now = [0.0]
    limit = RateLimit(per_minute=6, burst=2, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(3)] == [True, True, False]
    assert limit.allow("b")
    now[0] += 10  # one token back at 6 a minute
    assert limit.allow("a")
    assert not limit.allow("a")


def test_untrusted_writes_are_limited_per_host_and_in_all_and_said_once(caplog):
    now = [0.0]
    writes = UntrustedWrites(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        first = [writes.allow("evil.example") for _ in range(10)]
        spread = [writes.allow(f"s{n}.evil.example") for n in range(40)]
    assert first.count(True) == UntrustedWrites.PER_HOST_PER_MINUTE
    assert first.count(True) + spread.count(True) == UntrustedWrites.ALL_HOSTS_PER_MINUTE
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if m.startswith("pullcheck: evil.example ")]) == 1
    assert len(said) <= UntrustedWrites.MAX_SAID


def test_a_configured_instances_streaming_host_speaks_for_the_instance():
    state = SimpleNamespace(route=ROUTE, pages=PageTokens())
    assert scope_of(ROUTE, "mastodon", "streaming.mastodon.social", 443) == "mastodon.social"
    assert may_teach(state, "https", "streaming.mastodon.social", 443, "mastodon")
    assert not may_teach(state, "https", "streaming.evil.example", 443, "mastodon")
    assert scope_of(ROUTE, "mastodon", "streaming.evil.example", 443) == "streaming.evil.example"
