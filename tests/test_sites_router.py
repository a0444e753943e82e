"""Which adapter reads a request: hosts from the config, defaults, suffixes, any-host paths."""

from __future__ import annotations

from dataclasses import dataclass

from pullcheck.sites import (
    ADAPTERS,
    ADAPTERS_BY_NAME,
    SiteRouter,
    SitesConfig,
    adapter_for_request,
)
from pullcheck.sites.wire import WireRequest


@dataclass
class Site:
    enabled: bool = True
    hosts: list[str] | None = None
    any_host: bool | None = None


def _request(host: str, path: str = "/", port: int = 443, method: str = "GET") -> WireRequest:
    return WireRequest(method, "https", host, port, path, {}, {}, b"")


def _name(request: WireRequest, config: SitesConfig = None) -> str | None:
    adapter = adapter_for_request(request, config)
    return adapter.name if adapter else None


def test_every_adapter_has_the_attributes_the_proxy_reads() -> None:
    assert [a.name for a in ADAPTERS] == ["x", "mastodon", "bluesky", "linkedin", "reddit"]
    for adapter in ADAPTERS:
        assert adapter.default_hosts
        assert isinstance(adapter.any_host, bool)
        assert isinstance(adapter.any_host_paths, tuple)
        assert ADAPTERS_BY_NAME[adapter.name] is adapter


def test_default_hosts() -> None:
    assert _name(_request("x.com")) == "x"
    assert _name(_request("twitter.com")) == "x"
    assert _name(_request("www.linkedin.com")) == "linkedin"
    assert _name(_request("old.reddit.com")) == "reddit"
    assert _name(_request("matrix.redditspace.com")) == "reddit"
    assert _name(_request("hachyderm.io")) == "mastodon"
    assert _name(_request("bsky.social")) == "bluesky"


def test_suffix_entries_match_any_depth() -> None:
    assert _name(_request("morel.us-east.host.bsky.network")) == "bluesky"
    assert _name(_request("host.bsky.network.evil.example")) is None


def test_unrelated_traffic_is_not_a_site() -> None:
    assert _name(_request("example.com", "/index.html")) is None
    assert _name(_request("cdn.example.com", "/api/v3/things")) is None


def test_any_host_sites_match_only_their_api_paths() -> None:
    assert _name(_request("social.example", "/api/v1/statuses", method="POST")) == "mastodon"
    assert _name(_request("pds.example", "/xrpc/com.atproto.repo.createRecord")) == "bluesky"
    assert _name(_request("shop.example", "/api/v1/cart")) is None
    config = {"mastodon": Site(any_host=False)}
    assert _name(_request("social.example", "/api/v1/statuses"), config) is None


def test_configured_hosts_replace_the_defaults_with_ports() -> None:
    config = {"x": Site(hosts=["127.0.0.1:8081"]), "reddit": Site(hosts=["127.0.0.1:8082"])}
    assert _name(_request("127.0.0.1", port=8081), config) == "x"
    assert _name(_request("127.0.0.1", port=8082), config) == "reddit"
    assert _name(_request("127.0.0.1", port=8083), config) is None
    assert _name(_request("x.com"), config) is None


def test_sites_sharing_a_host_are_told_apart_by_path() -> None:
    config = {"x": Site(hosts=["localhost"]), "linkedin": Site(hosts=["localhost"])}
    assert _name(_request("localhost", "/voyager/api/graphql"), config) == "linkedin"
    assert _name(_request("localhost", "/i/api/graphql/q/CreateTweet"), config) == "x"


def test_disabled_site_is_never_chosen() -> None:
    config = {"x": Site(enabled=False)}
    assert _name(_request("x.com"), config) is None
    assert _name(_request("www.linkedin.com"), config) == "linkedin"


def test_a_config_object_with_sites_and_plain_dicts_are_accepted() -> None:
    @dataclass
    class Config:
        sites: dict

    assert _name(_request("x.com"), Config({"x": {"enabled": False}})) is None


def test_router_lists_watched_hosts() -> None:
    watched = SiteRouter({"reddit": Site(enabled=False)}).watched_hosts()
    assert "reddit" not in watched
    assert "*.host.bsky.network" in watched["bluesky"]


def test_the_router_is_built_once_per_config_object() -> None:
    from pullcheck.sites import router_for

    config = {"x": Site()}
    assert router_for(config) is router_for(config)
    assert router_for({"x": Site()}) is not router_for(config)


def test_configured_hosts_are_named_hosts_ports_and_suffixes_never_any_host_matches() -> None:
    router = SiteRouter(
        {
            "x": Site(hosts=["x.com", "127.0.0.1:8123"]),
            "bluesky": Site(hosts=["*.host.bsky.network"]),
            "mastodon": Site(hosts=[]),  # still matched by its API paths on any host
        }
    )
    assert router.is_configured_host("x.com", 443)
    assert router.is_configured_host("127.0.0.1", 8123)
    assert not router.is_configured_host("127.0.0.1", 8124)
    assert router.is_configured_host("pds.us-east.host.bsky.network", 443)
    assert not router.is_configured_host("host.bsky.network.evil.example", 443)
    assert router.route(_request("mastodon.example", "/api/v1/statuses")) is not None
    assert not router.is_configured_host("mastodon.example", 443)
