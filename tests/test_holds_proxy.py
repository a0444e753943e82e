"""Held posts through a real mitmproxy (tests/proxy_harness.py) in front of a recording fake site,
decided from another process with `pullcheck holds` / `pullcheck decide` over the control socket.

What must hold: with no pullcheck page open, a flagged post is refused at once with the findings
(`holds.without_page: reject`, the default) or waits for a decision (`wait`); the control socket
is private (0600 in a 0700 folder); a client that disconnects ends its hold and a later "send"
says nothing was sent; a retry joins the hold it repeats and the site receives the post once;
on shutdown a held client gets the site's failure response and earlier decisions are counted.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch
from pullcheck.stats import read_summary
from x_samples import CREATE_TWEET, JSON, PITCH_REPLY

SENT = b'{"data":{"create_tweet":{"tweet_results":{"result":{"rest_id":"1"}}}}}'

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def site():
    upstream = Upstream(routes={("POST", CREATE_TWEET): (200, JSON, SENT)})
    yield upstream
    upstream.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def start(
    tmp_path: Path, site: Upstream, without_page: str | None = None, timeout_s: int = 60
) -> RunningProxy:
    config = tmp_path / "config.yaml"
    config.write_text(
        "mode: hold\n"
        "hold_at: warning\n"
        f"hold_timeout_s: {timeout_s}\n"
        + (f"holds: {{without_page: {without_page}}}\n" if without_page else "")
        + "sites:\n"
        f"  x: {{hosts: ['{site.address}']}}\n"
        "  mastodon: {any_host: false}\n"
        "  bluesky: {any_host: false}\n"
    )
    return RunningProxy(
        pullcheck_config=str(config),
        pullcheck_data_dir=str(tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
    ).start()


def post_pitch(proxy: RunningProxy, site: Upstream, headers: dict[str, str] | None = None):
    return fetch(
        proxy,
        "POST",
        f"http://{site.address}{CREATE_TWEET}",
        PITCH_REPLY,
        {**JSON, **(headers or {})},
        timeout=60,
    )


def wait_until(check, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def pending(proxy: RunningProxy):
    return proxy.addon.state.holds.pending()


def pullcheck(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process; it fails if anything imported mitmproxy."""
    code = (
        "import sys\n"
        "from pullcheck.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "assert 'mitmproxy' not in sys.modules, 'the CLI imported mitmproxy'\n"
        "sys.exit(status)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def message_of(body: bytes) -> str:
    return json.loads(body)["errors"][0]["message"]


# -- without a page ---------------------------------------------------------------------------


def test_with_no_page_open_a_flagged_post_is_refused_at_once_with_its_findings(tmp_path, site):
    with start(tmp_path, site) as proxy:
        started = time.monotonic()
        status, headers, body = post_pitch(proxy, site)
        took = time.monotonic() - started
        left = pending(proxy)
    assert status == 200
    assert took < 5
    message = message_of(body)
    assert message.startswith("Not sent: held by pullcheck: PP201 ")
    assert f"No pullcheck page of http://{site.address} is open" in message
    assert headers["x-pullcheck-reason"].startswith("Not sent: held by pullcheck: PP201 ")
    assert left == []
    assert site.requests_to("POST", CREATE_TWEET) == []


def test_with_without_page_wait_a_flagged_post_waits_and_the_cli_sends_it_once(tmp_path, site):
    data = tmp_path / "data"
    with start(tmp_path, site, without_page="wait") as proxy, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(post_pitch, proxy, site)
        hold = wait_until(lambda: pending(proxy))[0]
        listed = pullcheck("holds", "--json", data=data)
        text = pullcheck("holds", data=data)
        decided = pullcheck("decide", hold.hold_id, "send", data=data)
        status, _, body = answer.result(30)
        again = pullcheck("decide", hold.hold_id, "edit", data=data)
    assert listed.returncode == 0, listed.stderr
    (shown,) = json.loads(listed.stdout)
    assert shown["hold_id"] == hold.hold_id
    assert shown["platform"] == "x"
    assert shown["kind"] == "reply"
    assert "20% off" in shown["text"]
    assert shown["codes"][0] == "PP201"
    assert shown["level"] in ("warning", "error")
    assert shown["client"] == "127.0.0.1"
    assert shown["own"] is False
    assert shown["from_origin"] is None
    assert shown["age_s"] >= 0
    assert shown["reply_to"]["id"] == "1790000000000000200"
    assert f"pullcheck decide {hold.hold_id} send|edit" in text.stdout
    assert "NOT from the site's page: from an unknown origin" in text.stdout
    assert decided.returncode == 0, decided.stderr
    assert (status, body) == (200, SENT)
    assert len(site.requests_to("POST", CREATE_TWEET)) == 1
    assert again.returncode == 1
    assert "already decided" in again.stderr


def test_the_cli_says_an_unknown_hold_is_unknown(tmp_path, site):
    with start(tmp_path, site, without_page="wait"):
        result = pullcheck("decide", "h9-000000000000", "send", data=tmp_path / "data")
        listed = pullcheck("holds", data=tmp_path / "data")
    assert result.returncode == 1
    assert "no such hold" in result.stderr
    assert listed.returncode == 0
    assert listed.stdout.strip() == "no held posts"


def test_the_cli_exits_2_when_no_proxy_runs_there(tmp_path):
    for args in (("holds",), ("decide", "h1-000000000000", "send")):
        result = pullcheck(*args, data=tmp_path / "nothing-here")
        assert result.returncode == 2
        assert "no pullcheck proxy is running" in result.stderr


def test_the_control_socket_is_private_and_gone_after_the_proxy_stops(tmp_path, site):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    with start(tmp_path, site):
        sock = data / "control.sock"
        assert stat.S_ISSOCK(sock.stat().st_mode)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert not (data / "control.sock").exists()


def test_the_control_socket_answers_bad_lines_without_stopping(tmp_path, site):
    with start(tmp_path, site) as proxy:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(10)
        client.connect(str(tmp_path / "data" / "control.sock"))
        reader = client.makefile("rb")
        answers = []
        for line in (
            b"not json\n",
            b"[1]\n",
            b'{"cmd":"launch"}\n',
            b'{"cmd":"decide","id":"h1","choice":"publish"}\n',
            b'{"cmd":"holds"}\n',
        ):
            client.sendall(line)
            answers.append(json.loads(reader.readline()))
        client.close()
        still = post_pitch(proxy, site)[0]
    assert [a["ok"] for a in answers] == [False, False, False, False, True]
    assert answers[-1]["holds"] == []
    assert still == 200


# -- clients that go away ---------------------------------------------------------------------


def raw_post(proxy: RunningProxy, site: Upstream) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
    client.sendall(
        f"POST http://{site.address}{CREATE_TWEET} HTTP/1.1\r\nHost: {site.address}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(PITCH_REPLY)}\r\n\r\n".encode()
        + PITCH_REPLY
    )
    return client


def test_a_client_that_disconnects_ends_its_hold_and_a_later_send_says_nothing_was_sent(
    tmp_path, site
):
    with start(tmp_path, site, without_page="wait") as proxy:
        client = raw_post(proxy, site)
        hold = wait_until(lambda: pending(proxy))[0]
        client.close()
        wait_until(lambda: not pending(proxy))
        result = pullcheck("decide", hold.hold_id, "send", data=tmp_path / "data")
        time.sleep(0.3)
    assert hold.outcome == "gone"
    assert result.returncode == 1
    assert "the client disconnected; nothing was sent" in result.stderr
    assert site.requests_to("POST", CREATE_TWEET) == []


def test_an_http2_stream_reset_during_a_hold_sends_nothing_and_says_so(tmp_path, caplog):
    """HTTP/2 (what browsers speak to real sites): a cancelled request resets its stream but
    keeps the connection, so mitmproxy 11 reports it only after the hold. Send anyway then
    sends nothing, and the terminal says so."""
    import logging
    import ssl

    import h2.config
    import h2.connection

    site = Upstream(tls_dir=tmp_path / "tls", routes={("POST", CREATE_TWEET): (200, JSON, SENT)})
    config = tmp_path / "config.yaml"
    config.write_text(
        f"mode: hold\nholds: {{without_page: wait}}\nsites:\n  x: {{hosts: ['{site.address}']}}\n"
    )
    caplog.set_level(logging.INFO, logger="pullcheck.holds")
    try:
        # lazy: mitmproxy offers the client HTTP/2 itself (the test site speaks HTTP/1.1).
        with RunningProxy(
            pullcheck_config=str(config),
            pullcheck_data_dir=str(tmp_path / "d"),
            confdir=str(tmp_path / "mitmproxy"),
            ssl_insecure=True,
            connection_strategy="lazy",
        ).start() as proxy:
            raw = socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
            raw.sendall(f"CONNECT {site.address} HTTP/1.1\r\nHost: {site.address}\r\n\r\n".encode())
            assert raw.recv(4096).startswith(b"HTTP/1.1 200")
            context = ssl.create_default_context(
                cafile=str(tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem")
            )
            context.set_alpn_protocols(["h2"])
            tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
            assert tls.selected_alpn_protocol() == "h2"
            client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            client.initiate_connection()
            stream = client.get_next_available_stream_id()
            client.send_headers(
                stream,
                [
                    (":method", "POST"),
                    (":path", CREATE_TWEET),
                    (":authority", site.address),
                    (":scheme", "https"),
                    ("content-type", "application/json"),
                    ("content-length", str(len(PITCH_REPLY))),
                ],
            )
            client.send_data(stream, PITCH_REPLY, end_stream=True)
            tls.sendall(client.data_to_send())
            hold = wait_until(lambda: pending(proxy))[0]
            client.reset_stream(stream)
            tls.sendall(client.data_to_send())
            time.sleep(0.5)
            assert proxy.addon.state.holds.decide(hold.hold_id, "send")
            wait_until(lambda: "nothing was sent" in caplog.text)
            time.sleep(0.3)
            tls.close()
    finally:
        site.close()
    assert site.requests_to("POST", CREATE_TWEET) == []
    assert f"hold {hold.hold_id}: the client had gone (stream reset by client" in caplog.text


# -- retries ----------------------------------------------------------------------------------


def test_a_retry_joins_the_hold_and_the_site_receives_the_post_once(tmp_path, site):
    with start(tmp_path, site, without_page="wait") as proxy, ThreadPoolExecutor(2) as pool:
        first = pool.submit(post_pitch, proxy, site)
        hold = wait_until(lambda: pending(proxy))[0]
        retry = pool.submit(post_pitch, proxy, site)
        wait_until(lambda: len(hold.flows) == 2)
        holds_now = len(pending(proxy))
        decided = pullcheck("decide", hold.hold_id, "send", data=tmp_path / "data")
        answers = [first.result(30), retry.result(30)]
        time.sleep(0.3)
    assert holds_now == 1
    assert decided.returncode == 0, decided.stderr
    assert len(site.requests_to("POST", CREATE_TWEET)) == 1
    # Both clients hear what the site said to the one send.
    assert [(status, body) for status, _, body in answers] == [(200, SENT), (200, SENT)]


def test_when_the_first_client_left_its_retry_carries_the_send(tmp_path, site):
    with start(tmp_path, site, without_page="wait") as proxy, ThreadPoolExecutor(1) as pool:
        gone = raw_post(proxy, site)
        hold = wait_until(lambda: pending(proxy))[0]
        retry = pool.submit(post_pitch, proxy, site)
        wait_until(lambda: len(hold.flows) == 2)
        gone.close()
        wait_until(lambda: len(hold.gone_flows) == 1)
        decided = pullcheck("decide", hold.hold_id, "send", data=tmp_path / "data")
        status, _, body = retry.result(30)
    assert decided.returncode == 0, decided.stderr
    assert (status, body) == (200, SENT)
    assert len(site.requests_to("POST", CREATE_TWEET)) == 1


# -- shutdown ---------------------------------------------------------------------------------


def test_on_shutdown_a_held_client_gets_the_failure_response_and_decisions_are_counted(
    tmp_path, site
):
    proxy = start(tmp_path, site, without_page="wait")
    answers: list[tuple[int, dict[str, str], bytes]] = []
    try:
        # One held post decided "send" before the stop, one still held when it stops.
        sender = threading.Thread(target=lambda: answers.append(post_pitch(proxy, site)))
        sender.start()
        first = wait_until(lambda: pending(proxy))[0]
        assert proxy.addon.state.holds.decide(first.hold_id, "send")
        sender.join(30)
        other = PITCH_REPLY.replace(b"bakeries", b"florists")
        held = ThreadPoolExecutor(1).submit(
            fetch, proxy, "POST", f"http://{site.address}{CREATE_TWEET}", other, JSON, 60
        )
        wait_until(lambda: pending(proxy))
    finally:
        proxy.stop()
    status, _, body = held.result(10)
    assert answers[0][0] == 200
    assert status == 200  # X's own refusal shape: 200 with errors
    assert "The proxy stopped before a decision" in message_of(body)
    assert len(site.requests_to("POST", CREATE_TWEET)) == 1
    totals = read_summary(tmp_path / "data").totals
    assert totals["hold"] == 2
    assert totals["sent_anyway"] == 1


def test_the_data_folder_of_a_stale_socket_is_reused(tmp_path, site):
    data = tmp_path / "data"
    data.mkdir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(data / "control.sock"))
    stale.close()  # bound, never listening: what a killed proxy leaves behind
    with start(tmp_path, site, without_page="wait"):
        listed = pullcheck("holds", data=data)
    assert listed.returncode == 0
    assert os.path.exists(data)
    assert "no held posts" in listed.stdout
