"""X's public API through a real mitmproxy with the add-on: a v2 post is judged, and in hold
mode "Edit" answers the client with API v2's error document while the site receives nothing."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch
from pullcheck.sites.x_api import V2_FAILURE, V11_FAILURE
from x_samples import PITCH_TEXT

TWEETS = "/2/tweets"
STATUS_UPDATE = "/1.1/statuses/update.json"
OAUTH1 = (
    'OAuth oauth_consumer_key="k", oauth_nonce="n", oauth_signature="s", '
    'oauth_signature_method="HMAC-SHA1", oauth_timestamp="1777883100", '
    'oauth_token="1600000000000000001-t", oauth_version="1.0"'
)
HEADERS = {
    "content-type": "application/json",
    "authorization": OAUTH1,
    "user-agent": "Python/3.11 Requests/2.32 Tweepy/4.14.0",
}
PITCH_REPLY = json.dumps(
    {
        "text": PITCH_TEXT,
        "reply": {"in_reply_to_tweet_id": "1790000000000000200"},
    }
).encode()
CREATED = (
    201,
    {"content-type": "application/json"},
    b'{"data":{"id":"1790000000000000999","text":"..."}}',
)


@pytest.fixture
def site():
    upstream = Upstream(routes={("POST", TWEETS): CREATED})
    yield upstream
    upstream.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def start(tmp_path: Path, site: Upstream, mode: str, **options) -> RunningProxy:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"mode: {mode}\nhold_at: warning\nholds: {{without_page: wait}}\n"
        f"sites:\n  x: {{hosts: ['{site.address}']}}\n  bluesky: {{any_host: false}}\n"
        "  mastodon: {any_host: false}\n"
    )
    return RunningProxy(
        pullcheck_config=str(config),
        pullcheck_data_dir=str(tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
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


@pytest.mark.timeout(60)
def test_a_v2_post_is_judged_and_reaches_the_site_in_warn_mode(tmp_path, site):
    with start(tmp_path, site, "warn") as proxy:
        status, _, body = fetch(
            proxy, "POST", f"http://{site.address}{TWEETS}", PITCH_REPLY, HEADERS
        )
        events = proxy.addon.state.feed.events_after(f"http://{site.address}", 0)
    verdicts = [e for e in events if e["type"] == "verdict"]
    assert (status, body) == (CREATED[0], CREATED[2])
    assert len(site.requests_to("POST", TWEETS)) == 1
    assert len(verdicts) == 1
    assert verdicts[0]["operation"] == "api/2/tweets"
    assert verdicts[0]["kind"] == "reply"
    assert verdicts[0]["level"] in ("warning", "error")


@pytest.mark.timeout(60)
def test_a_held_v2_post_edited_gets_the_v2_error_and_never_reaches_the_site(tmp_path, site):
    with start(tmp_path, site, "hold") as proxy, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            fetch, proxy, "POST", f"http://{site.address}{TWEETS}", PITCH_REPLY, HEADERS
        )
        hold_id = wait_for_hold(proxy)
        assert proxy.addon.state.holds.decide(hold_id, "edit") is True
        status, headers, body = answer.result(15)
        time.sleep(0.2)
        proxy.addon.state.recorder.flush(10)
        logged = len(proxy.addon.state.sent_log)
    assert site.requests_to("POST", TWEETS) == []
    assert status == V2_FAILURE.status
    assert headers["content-type"].startswith("application/json")
    document = json.loads(body)
    # V2_FAILURE's shape, its message replaced by the reason (the findings and "You chose Edit").
    assert set(document) == set(json.loads(V2_FAILURE.body))
    assert document["errors"][0]["message"].startswith("Not sent: held by pullcheck: PP")
    assert document["detail"] == document["errors"][0]["message"]
    assert document["detail"].endswith("You chose Edit; your draft is unchanged.")
    assert logged == 0


@pytest.mark.timeout(60)
def test_a_held_v2_post_sent_anyway_reaches_the_site_once(tmp_path, site):
    with start(tmp_path, site, "hold") as proxy, ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            fetch, proxy, "POST", f"http://{site.address}{TWEETS}", PITCH_REPLY, HEADERS
        )
        hold_id = wait_for_hold(proxy)
        assert site.requests_to("POST", TWEETS) == []
        assert proxy.addon.state.holds.decide(hold_id, "send") is True
        status, _, body = answer.result(15)
    received = site.requests_to("POST", TWEETS)
    assert (status, body) == (CREATED[0], CREATED[2])
    assert len(received) == 1
    assert received[0].body == PITCH_REPLY


@pytest.mark.timeout(60)
def test_a_held_v11_status_update_times_out_with_the_v11_error(tmp_path, site):
    query = (
        "?status=We+build+bakery+websites%2C+hire+us%3A+https%3A%2F%2Facme-webworks.example"
        "&in_reply_to_status_id=1790000000000000200"
    )
    with start(tmp_path, site, "hold", pullcheck_hold_timeout=1) as proxy:
        status, _, body = fetch(
            proxy,
            "POST",
            f"http://{site.address}{STATUS_UPDATE}{query}",
            b"",
            {"authorization": OAUTH1},
        )
    assert [r for r in site.received if r.method == "POST"] == []
    assert status == V11_FAILURE.status
    (error,) = json.loads(body)["errors"]
    assert error["code"] == json.loads(V11_FAILURE.body)["errors"][0]["code"]
    assert error["message"].startswith("Not sent: held by pullcheck: PP")
    assert error["message"].endswith("your draft is unchanged.")
