"""What any website can send through a real mitmproxy with the add-on, and what it must not get.

Every page can make requests to its own host, and the Mastodon and Bluesky adapters recognise
their API paths on any host. So a hostile site gets to hand the proxy compose bodies of its
choosing (compressed, huge) and to probe `/__pullcheck__/` on its own origin. Each test drives a
real mitmproxy in front of a recording local site (tests/proxy_harness.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch


@pytest.fixture
def hostile():
    """A site pullcheck does not name in its config; Mastodon's paths still match on it."""
    upstream = Upstream()
    yield upstream
    upstream.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def start(tmp_path: Path, config: str = "mode: hold\n", **options) -> RunningProxy:
    path = tmp_path / "config.yaml"
    path.write_text(config)
    return RunningProxy(
        pullcheck_config=str(path),
        pullcheck_data_dir=str(tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
        **options,
    ).start()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", [
    "/__pullcheck__/banner.js?v=1&t=abc",
    "/__pullcheck__/check",
    "/__pullcheck__/events?t=abc",
])
def test_control_paths_on_a_site_without_the_banner_never_reach_it(tmp_path, hostile, path):
    with start(tmp_path) as proxy:
        method = "POST" if path.endswith("check") else "GET"
        status, headers, body = fetch(proxy, method, f"http://{hostile.address}{path}",
                                      b'{"text": "hi"}' if method == "POST" else b"")
    assert (status, body) == (404, b"")
    assert headers["cache-control"] == "no-store"
    assert hostile.received == []


@pytest.mark.timeout(60)
def test_control_paths_on_a_host_matched_by_mastodon_paths_never_reach_it(tmp_path, hostile):
    with start(tmp_path) as proxy:
        # The host is recognised as a Mastodon instance (its statuses path is judged) ...
        fetch(proxy, "POST", f"http://{hostile.address}/api/v1/statuses",
              b'{"status": "hello there"}', {"content-type": "application/json"})
        judged = proxy.addon.state.verdicts_judged
        # ... but it has no banner, so its control paths are nobody's.
        status, _, body = fetch(proxy, "GET", f"http://{hostile.address}/__pullcheck__/banner.js")
    assert judged == 1
    assert (status, body) == (404, b"")
    assert [r.path for r in hostile.received] == ["/api/v1/statuses"]
