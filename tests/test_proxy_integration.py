"""A real mitmproxy with the add-on between a client and a fake site, all on 127.0.0.1.

The fake site plays X and Mastodon (configured as their host); a second fake site is
"non-social". What must hold: other traffic arrives byte-identical; a flagged reply in hold mode
waits, then reaches the site exactly once after "send"; after "edit" or a timeout the site
receives nothing and the client gets the site's failure response; the sent log survives a
restart, so a link blast is still caught.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch, fetch_tls
from pullcheck.sites.x import FAILURE as X_FAILURE
from x_samples import CREATE_TWEET, JSON, PITCH_REPLY

DM_NEW = "/i/api/1.1/dm/new2.json"
BLAST = "Hi! Grab our spring catalogue at https://acme-catalogue.example/spring"


@pytest.fixture
def site():
    upstream = Upstream()
    yield upstream
    upstream.close()


@pytest.fixture
def elsewhere():
    """A site pullcheck does not watch."""
    payload = os.urandom(64 * 1024)
    upstream = Upstream(
        routes={
            ("GET", "/blob"): (200, {"content-type": "application/octet-stream"}, payload),
            ("GET", "/page"): (
                200,
                {"content-type": "text/html; charset=utf-8"},
                "<html><head></head><body>café</body></html>".encode(),
            ),
            ("POST", "/api/v1/statuses"): (201, JSON, b'{"id":"1"}'),
        }
    )
    yield upstream, payload
    upstream.close()


def write_config(folder: Path, site: Upstream, mode: str) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        f"mode: {mode}\n"
        "hold_at: warning\n"
        # No banner page in these tests: held posts wait for a decision instead of being refused.
        "holds: {without_page: wait}\n"
        "sites:\n"
        f"  x: {{hosts: ['{site.address}']}}\n"
        f"  mastodon: {{hosts: ['{site.address}'], any_host: false}}\n"
        "  bluesky: {any_host: false}\n"
    )
    return config


def start(tmp_path: Path, site: Upstream, mode: str, data: str = "data", **options) -> RunningProxy:
    return RunningProxy(
        pullcheck_config=str(write_config(tmp_path, site, mode)),
        pullcheck_data_dir=str(tmp_path / data),
        confdir=str(tmp_path / "mitmproxy"),  # its CA: never the real ~/.mitmproxy
        **options,
    ).start()


def wait_for_hold(proxy: RunningProxy, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = proxy.addon.state.holds.pending()
        if pending:
            return pending[0].hold_id
        time.sleep(0.02)
    raise AssertionError("no hold appeared")


def reply_through(proxy: RunningProxy, site: Upstream):
    return fetch(proxy, "POST", f"http://{site.address}{CREATE_TWEET}", PITCH_REPLY, JSON)


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.mark.timeout(60)
def test_non_social_traffic_arrives_byte_identical(tmp_path, site, elsewhere):
    other, payload = elsewhere
    with start(tmp_path, site, "hold") as proxy:
        blob = fetch(proxy, "GET", f"http://{other.address}/blob")
        page = fetch(proxy, "GET", f"http://{other.address}/page")
        posted = fetch(
            proxy,
            "POST",
            f"http://{other.address}/api/v1/statuses",
            b'{"status":"buy now https://spam.example","visibility":"direct"}',
            JSON,
        )
        judged = proxy.addon.state.verdicts_judged
    assert blob[0] == 200
    assert blob[2] == payload
    assert blob[1]["content-type"] == "application/octet-stream"
    assert page[2] == "<html><head></head><body>café</body></html>".encode()
    assert "__pullcheck__" not in page[2].decode()
    assert posted[:1] == (201,)
    assert posted[2] == b'{"id":"1"}'
    assert judged == 0
    assert len(other.requests_to("POST", "/api/v1/statuses")) == 1


@pytest.mark.timeout(60)
def test_a_held_reply_reaches_the_site_exactly_once_after_send(tmp_path, site):
    with start(tmp_path, site, "hold") as proxy, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(reply_through, proxy, site)
        hold_id = wait_for_hold(proxy)
        time.sleep(0.3)
        assert site.requests_to("POST", CREATE_TWEET) == [], "sent before the decision"
        assert proxy.addon.state.holds.decide(hold_id, "send") is True
        assert proxy.addon.state.holds.decide(hold_id, "send") is False
        status, _, body = answer.result(15)
        time.sleep(0.2)
        proxy.addon.state.recorder.flush(10)
        logged = len(proxy.addon.state.sent_log)
    received = site.requests_to("POST", CREATE_TWEET)
    assert status == 200
    assert body == b"{}"
    assert len(received) == 1
    assert received[0].body == PITCH_REPLY
    assert logged == 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", ["edit", "timeout"])
def test_after_edit_or_timeout_the_site_receives_nothing(tmp_path, site, how):
    with (
        start(tmp_path, site, "hold", pullcheck_hold_timeout=1) as proxy,
        ThreadPoolExecutor(1) as pool,
    ):
        answer = pool.submit(reply_through, proxy, site)
        hold_id = wait_for_hold(proxy)
        if how == "edit":
            assert proxy.addon.state.holds.decide(hold_id, "edit") is True
        status, headers, body = answer.result(15)
        time.sleep(0.3)
        proxy.addon.state.recorder.flush(10)
        logged = len(proxy.addon.state.sent_log)
    assert site.requests_to("POST", CREATE_TWEET) == []
    assert status == X_FAILURE.status
    assert held_message(body).startswith("Not sent: held by pullcheck: PP201 ")
    assert headers["content-type"] == X_FAILURE.headers["content-type"]
    assert logged == 0


def dm(proxy: RunningProxy, site: Upstream, recipient: str) -> int:
    body = json.dumps({"recipient_ids": recipient, "text": BLAST, "request_id": recipient})
    return fetch(proxy, "POST", f"http://{site.address}{DM_NEW}", body.encode(), JSON)[0]


def blast_codes(proxy: RunningProxy, site: Upstream) -> list[list[str]]:
    events = proxy.addon.state.feed.events_after(f"http://{site.address}", 0)
    return [[f["code"] for f in e["findings"]] for e in events if e["type"] == "verdict"]


@pytest.mark.timeout(90)
def test_the_sent_log_survives_a_restart_and_a_link_blast_is_still_caught(tmp_path, site):
    with start(tmp_path, site, "warn") as first:
        statuses = [dm(first, site, f"16000000000000000{i:02d}") for i in range(4)]
        before = blast_codes(first, site)
    assert statuses == [200] * 4
    assert not any("PP301" in codes for codes in before)

    with start(tmp_path, site, "warn") as second:
        assert dm(second, site, "1600000000000000099") == 200
        after = blast_codes(second, site)
    assert "PP301" in after[-1]

    with start(tmp_path, site, "warn", data="fresh-data") as fresh:
        dm(fresh, site, "1600000000000000098")
        forgotten = blast_codes(fresh, site)
    assert "PP301" not in forgotten[-1]
    assert len(site.requests_to("POST", DM_NEW)) == 6


@pytest.mark.timeout(60)
def test_a_config_edit_while_running_switches_to_hold(tmp_path, site):
    with start(tmp_path, site, "warn") as proxy, ThreadPoolExecutor(1) as pool:
        assert reply_through(proxy, site)[0] == 200  # warn: goes straight through
        write_config(tmp_path, site, "hold")
        deadline = time.monotonic() + 10
        while proxy.addon.state.mode != "hold" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proxy.addon.state.mode == "hold"
        answer = pool.submit(reply_through, proxy, site)
        hold_id = wait_for_hold(proxy)
        proxy.addon.state.holds.decide(hold_id, "edit")
        assert answer.result(15)[0] == X_FAILURE.status
    assert len(site.requests_to("POST", CREATE_TWEET)) == 1


@pytest.mark.timeout(90)
def test_mitmdump_loads_the_addon_by_path(tmp_path, site):
    """`mitmdump -s .../addon.py` (how the README says to use it with mitmproxy's tools)."""
    from pullcheck.proxy import addon as addon_module

    port = free_port()
    config = write_config(tmp_path, site, "hold")
    process = subprocess.Popen(
        [
            "mitmdump",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "-s",
            addon_module.__file__,
            "--set",
            f"confdir={tmp_path / 'mitmproxy'}",
            "--set",
            f"pullcheck_config={config}",
            "--set",
            f"pullcheck_data_dir={tmp_path / 'data'}",
            "--set",
            "pullcheck_hold_timeout=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", f"http://{site.address}{CREATE_TWEET}", PITCH_REPLY, JSON)
        response = conn.getresponse()
        status, body = response.status, response.read()
        conn.close()
    finally:
        process.terminate()
        try:
            output = process.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
    # Held, nobody decided, timed out: the page got X's failure and the site nothing.
    assert status == X_FAILURE.status, output
    assert "No decision within 1 s" in held_message(body)
    assert site.requests_to("POST", CREATE_TWEET) == []
    assert "pullcheck active: mode hold" in output


def held_message(body: bytes) -> str:
    return json.loads(body)["errors"][0]["message"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(60)
def test_https_compose_is_held_and_sent_once(tmp_path):
    """The real sites are HTTPS: mitmproxy terminates TLS, the add-on sees the same request."""
    site = Upstream(tls_dir=tmp_path / "tls")
    try:
        with (
            start(tmp_path, site, "hold", ssl_insecure=True) as proxy,
            ThreadPoolExecutor(1) as pool,
        ):
            ca = tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem"
            answer = pool.submit(
                fetch_tls,
                proxy,
                ca,
                "127.0.0.1",
                site.port,
                "POST",
                CREATE_TWEET,
                PITCH_REPLY,
                {**JSON, "origin": "https://x.com"},
            )
            hold_id = wait_for_hold(proxy)
            held = proxy.addon.state.holds.pending()[0]
            # x.com is not one of this site's configured origins here: not its own page's post.
            assert (held.origin, held.own, held.from_origin) == (
                f"https://{site.address}",
                False,
                "https://x.com",
            )
            assert site.requests_to("POST", CREATE_TWEET) == []
            proxy.addon.state.holds.decide(hold_id, "send")
            status, _, body = answer.result(15)
        assert (status, body) == (200, b"{}")
        assert len(site.requests_to("POST", CREATE_TWEET)) == 1
    finally:
        site.close()
