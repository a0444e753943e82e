"""What a website can make the proxy remember or store, through a real mitmproxy.

A fake "real" site plays a watched host (configured); a second fake site on another port plays
a hostile origin the user never configured. What must hold: the hostile origin teaches nothing
that a draft on the real host uses; every store it can reach stays bounded; and a broken data
folder never keeps the proxy from proxying.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch
from pullcheck.auditlog import MAX_TEXT
from pullcheck.notpush import RATE_PER_MINUTE
from pullcheck.proxy.trust import RateLimit, UntrustedWrites
from x_samples import JSON

GARBAGE = b"\x00garbage, not SQLite\n" * 200


@pytest.fixture
def site():
    upstream = Upstream()
    yield upstream
    upstream.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def write_config(folder: Path, body: str) -> Path:
    config = folder / "config.yaml"
    config.write_text(body)
    return config


def start(tmp_path: Path, config: str, data: Path | None = None, **options) -> RunningProxy:
    return RunningProxy(
        pullcheck_config=str(write_config(tmp_path, config)),
        pullcheck_data_dir=str(data or tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
        **options,
    ).start()


def plain_config(site: Upstream, mode: str = "warn") -> str:
    return f"mode: {mode}\nhold_at: warning\nsites:\n  mastodon: {{hosts: ['{site.address}']}}\n"


# --- a broken data folder (issue 11.4) -----------------------------------------------------------


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_over_a_garbage_sent_log(tmp_path, site, caplog):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sent.sqlite3").write_bytes(GARBAGE)
    with (
        caplog.at_level(logging.WARNING, logger="pullcheck"),
        start(tmp_path, plain_config(site), data) as proxy,
    ):
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        sent_log = proxy.addon.state.sent_log
        on_disk = not sent_log.in_memory
    assert status == 200
    assert on_disk
    moved = list(data.glob("sent.sqlite3.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes() == GARBAGE
    said = [r.getMessage() for r in caplog.records if "sent.sqlite3" in r.getMessage()]
    assert len(said) == 1


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_when_the_data_folder_is_a_path_through_a_file(
    tmp_path, site, caplog
):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    with (
        caplog.at_level(logging.WARNING, logger="pullcheck"),
        start(tmp_path, plain_config(site), blocker / "data") as proxy,
    ):
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        in_memory = proxy.addon.state.sent_log.in_memory
    assert status == 200
    assert in_memory
    assert any("in memory" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_when_the_data_folder_is_read_only(
    tmp_path, site, monkeypatch
):
    # As root, chmod 0500 does not stop writes; make SQLite fail at the seam where it opens a
    # file in a read-only folder, with the error it gives there.
    real_connect = sqlite3.connect

    def read_only(target, *args, **kwargs):
        if str(target) != ":memory:":
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with start(tmp_path, plain_config(site)) as proxy:
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        state = proxy.addon.state
        stores = [state.sent_log, state.tally.stats, state.tally.opportunities]
        in_memory = [store.in_memory for store in stores]
    assert status == 200
    assert in_memory == [True, True, True]


# --- what a hostile origin can teach (issue 11.3) -----------------------------------------------

ASKS = "Can anyone recommend a web designer for my small bakery site? Budget is modest."
PITCH = (
    "@jordan@bakers.example Hi Jordan! We build fast, affordable websites for bakeries. "
    "See https://acme-webworks.example/pricing - DM me for 20% off!"
)


@pytest.fixture
def evil():
    """An origin the user never configured, answering on paths the site adapters read."""
    upstream = Upstream()
    yield upstream
    upstream.close()


def mastodon_timeline(*posts: tuple[str, str]) -> bytes:
    return json.dumps(
        [
            {
                "id": post_id,
                "content": f"<p>{text}</p>",
                "visibility": "public",
                "created_at": "2026-05-04T09:00:00.000Z",
                "in_reply_to_id": None,
                "account": {"id": "77", "acct": "jordan@bakers.example", "username": "jordan"},
            }
            for post_id, text in posts
        ]
    ).encode()


def mastodon_reply(proxy: RunningProxy, site: Upstream, parent: str) -> None:
    body = json.dumps({"status": PITCH, "in_reply_to_id": parent, "visibility": "public"})
    fetch(
        proxy,
        "POST",
        f"http://{site.address}/api/v1/statuses",
        body.encode(),
        {**JSON, "origin": f"http://{site.address}"},
    )


def verdict_levels(proxy: RunningProxy, origin: str) -> list[str]:
    events = proxy.addon.state.feed.events_after(origin, 0)
    return [e["level"] for e in events if e["type"] == "verdict"]


def freeze_the_rate_clocks(proxy: RunningProxy) -> None:
    """All of a test's requests fall in one minute, however slow the machine: the rate limits
    then allow exactly their burst."""
    state = proxy.addon.state
    state.untrusted_writes = UntrustedWrites(clock=lambda: 0.0)
    state.notpush_rate = RateLimit(RATE_PER_MINUTE, RATE_PER_MINUTE, clock=lambda: 0.0)


def mastodon_config(site: Upstream) -> str:
    # Mastodon on any host (the default): the hostile origin's API paths are recognised.
    return f"mode: warn\nhold_at: warning\nsites:\n  mastodon: {{hosts: ['{site.address}']}}\n"


@pytest.mark.timeout(60)
def test_a_timeline_from_an_unconfigured_origin_does_not_vouch_for_a_reply_on_the_instance(
    tmp_path, site, evil
):
    timeline = (200, JSON, mastodon_timeline(("999", ASKS)))
    evil.routes[("GET", "/api/v1/timelines/home")] = timeline
    with start(tmp_path, mastodon_config(site)) as proxy:
        fetch(proxy, "GET", f"http://{evil.address}/api/v1/timelines/home")
        mastodon_reply(proxy, site, "999")
        levels = verdict_levels(proxy, f"http://{site.address}")
        remembered = proxy.addon.state.memory.seen_post("mastodon", "999", scope=None)
    assert remembered is None
    assert levels
    assert levels[-1] != "none"


@pytest.mark.timeout(60)
def test_the_instance_own_timeline_still_vouches_for_a_reply(tmp_path, site):
    """The same steps on the configured instance: its own post does answer the reply."""
    site.routes[("GET", "/api/v1/timelines/home")] = (200, JSON, mastodon_timeline(("999", ASKS)))
    with start(tmp_path, mastodon_config(site)) as proxy:
        fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        mastodon_reply(proxy, site, "999")
        levels = verdict_levels(proxy, f"http://{site.address}")
    assert levels == ["none"]


def bluesky_timeline(uri: str, text: str) -> bytes:
    author = {"did": "did:plc:jordanbakes00000000000000", "handle": "jordanbakes.bsky.social"}
    return json.dumps(
        {
            "feed": [
                {
                    "post": {
                        "uri": uri,
                        "cid": "bafyreiexample",
                        "author": author,
                        "record": {
                            "$type": "app.bsky.feed.post",
                            "text": text,
                            "createdAt": "2026-05-04T09:12:44.000Z",
                        },
                        "indexedAt": "2026-05-04T09:12:44.000Z",
                    }
                }
            ]
        }
    ).encode()


BSKY_PARENT = "at://did:plc:jordanbakes00000000000000/app.bsky.feed.post/3lqsourdough22a"


def bluesky_reply(proxy: RunningProxy, pds: Upstream) -> None:
    reply = {
        "root": {"uri": BSKY_PARENT, "cid": "bafyreiexample"},
        "parent": {"uri": BSKY_PARENT, "cid": "bafyreiexample"},
    }
    body = {
        "repo": "did:plc:acmewebworks0000000000000",
        "collection": "app.bsky.feed.post",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": PITCH.replace("@jordan@bakers.example", "@jordanbakes.bsky.social"),
            "createdAt": "2026-05-04T10:15:30.001Z",
            "reply": reply,
        },
    }
    fetch(
        proxy,
        "POST",
        f"http://{pds.address}/xrpc/com.atproto.repo.createRecord",
        json.dumps(body).encode(),
        {**JSON, "origin": "http://bsky.test"},
    )


@pytest.mark.timeout(60)
def test_a_bluesky_post_learned_through_another_host_is_not_used_on_the_users_pds(
    tmp_path, site, evil
):
    """Bluesky ids are global, so a hostile host could impersonate a real post: what it shows is
    not remembered, and even with a page of it open (so it may teach) only in its own scope."""
    evil.routes[("GET", "/xrpc/app.bsky.feed.getTimeline")] = (
        200,
        JSON,
        bluesky_timeline(BSKY_PARENT, ASKS),
    )
    config = f"mode: warn\nhold_at: warning\nsites:\n  bluesky: {{hosts: ['{site.address}']}}\n"
    with start(tmp_path, config) as proxy:
        fetch(proxy, "GET", f"http://{evil.address}/xrpc/app.bsky.feed.getTimeline")
        unopened = proxy.addon.state.memory.seen_post("bluesky", BSKY_PARENT, scope=None)
        proxy.addon.state.pages.issue(f"http://{evil.address}")  # a page of it is open
        fetch(proxy, "GET", f"http://{evil.address}/xrpc/app.bsky.feed.getTimeline")
        in_its_scope = proxy.addon.state.memory.seen_post(
            "bluesky", BSKY_PARENT, scope=evil.address
        )
        bluesky_reply(proxy, site)
        levels = verdict_levels(proxy, "http://bsky.test")
    assert unopened is None
    assert in_its_scope is not None
    assert levels
    assert levels[-1] != "none"


@pytest.mark.timeout(60)
def test_a_bluesky_post_read_through_one_configured_host_serves_a_reply_through_another(
    tmp_path, site, evil
):
    """The user's PDS and the appview are both configured: one scope for the site."""
    appview = evil  # here a second configured host, not a hostile one
    appview.routes[("GET", "/xrpc/app.bsky.feed.getTimeline")] = (
        200,
        JSON,
        bluesky_timeline(BSKY_PARENT, ASKS),
    )
    config = (
        f"mode: warn\nhold_at: warning\nsites:\n"
        f"  bluesky: {{hosts: ['{site.address}', '{appview.address}']}}\n"
    )
    with start(tmp_path, config) as proxy:
        fetch(proxy, "GET", f"http://{appview.address}/xrpc/app.bsky.feed.getTimeline")
        bluesky_reply(proxy, site)
        levels = verdict_levels(proxy, "http://bsky.test")
    assert levels == ["none"]


@pytest.mark.timeout(90)
def test_posts_to_an_unconfigured_origin_reach_the_sent_log_only_a_few_per_minute(
    tmp_path, site, evil
):
    with start(tmp_path, mastodon_config(site)) as proxy:
        freeze_the_rate_clocks(proxy)
        for n in range(20):
            body = json.dumps(
                {"status": f"note {n} https://spam.example/{n}", "visibility": "direct"}
            ).encode()
            fetch(proxy, "POST", f"http://{evil.address}/api/v1/statuses", body, JSON)
        proxy.addon.state.recorder.flush(10)
        rows = len(proxy.addon.state.sent_log)
        judged = proxy.addon.state.verdicts_judged
    assert judged == 20  # still judged: fail open
    assert rows == UntrustedWrites.PER_HOST_PER_MINUTE
    assert len(evil.requests_to("POST", "/api/v1/statuses")) == 20


@pytest.mark.timeout(120)
def test_sends_through_an_unconfigured_origin_never_count_toward_a_link_blast_on_the_instance(
    tmp_path, site, evil
):
    blast = "Check out our bakery deal https://spam.example/deal before Friday!"

    def direct(proxy: RunningProxy, address: str, to: str) -> None:
        body = json.dumps({"status": f"@{to} {blast}", "visibility": "direct"}).encode()
        fetch(proxy, "POST", f"http://{address}/api/v1/statuses", body, JSON)

    with start(tmp_path, mastodon_config(site)) as proxy:
        freeze_the_rate_clocks(proxy)
        for n in range(UntrustedWrites.PER_HOST_PER_MINUTE):
            direct(proxy, evil.address, f"person{n}@elsewhere.example")
        proxy.addon.state.recorder.flush(10)
        stored = len(proxy.addon.state.sent_log)
        direct(proxy, site.address, "jordan@bakers.example")
        events = proxy.addon.state.feed.events_after(f"http://{site.address}", 0)
    codes = [f["code"] for e in events if e["type"] == "verdict" for f in e["findings"]]
    assert stored == UntrustedWrites.PER_HOST_PER_MINUTE  # the sends were recorded, apart
    assert "PP301" not in codes


@pytest.mark.timeout(90)
def test_timelines_from_an_unconfigured_origin_add_no_opportunities(tmp_path, site, evil):
    posts = [(str(n), f"{ASKS} ({n})") for n in range(2_000)]
    evil.routes[("GET", "/api/v1/timelines/home")] = (200, JSON, mastodon_timeline(*posts))
    config = mastodon_config(site) + "offer: ['web design for bakeries']\n"
    with start(tmp_path, config) as proxy:
        for _ in range(5):
            fetch(proxy, "GET", f"http://{evil.address}/api/v1/timelines/home")
        found = len(proxy.addon.state.tally.opportunities.listed())
        remembered = proxy.addon.state.memory.stats()["posts"]
    assert (found, remembered) == (0, 0)


@pytest.mark.timeout(90)
def test_an_unconfigured_origin_cannot_fill_the_audit_log(tmp_path, site, evil):
    config = mastodon_config(site) + "audit_log: {enabled: true}\n"
    big = "buy now " * 12_500  # 100 KB a post, 2 MB in all
    with start(tmp_path, config) as proxy:
        freeze_the_rate_clocks(proxy)
        for n in range(20):
            body = json.dumps({"status": f"{n} {big}", "visibility": "public"}).encode()
            fetch(proxy, "POST", f"http://{evil.address}/api/v1/statuses", body, JSON)
        proxy.addon.state.recorder.flush(10)
        audit = proxy.addon.state.audit_log.path
    lines = audit.read_text("utf-8").splitlines()
    assert len(lines) == UntrustedWrites.PER_HOST_PER_MINUTE
    assert all(len(json.loads(line)["text"]) <= MAX_TEXT for line in lines)
    assert audit.stat().st_size < 250_000


# --- "Not push" from any script on a watched page (issue 11.7) ----------------------------------


@pytest.mark.timeout(90)
def test_a_page_script_calling_not_push_in_a_loop_is_refused_after_a_few(tmp_path, site):
    import yaml

    origin = f"http://{site.address}"
    with start(tmp_path, plain_config(site)) as proxy:
        token = proxy.call(lambda: proxy.addon.state.pages.issue(origin))
        freeze_the_rate_clocks(proxy)
        statuses = []
        for n in range(50):
            body = json.dumps({"code": "PP201", "recipient": f"someone{n}"}).encode()
            statuses.append(
                fetch(
                    proxy,
                    "POST",
                    f"{origin}/__pullcheck__/notpush",
                    body,
                    {
                        **JSON,
                        "origin": origin,
                        "x-pullcheck-token": token,
                        "sec-fetch-site": "same-origin",
                    },
                )[0]
            )
        path = proxy.addon.state.config.notpush_path()
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert len(yaml.safe_load(path.read_text())) == 5
    assert site.requests_to("POST", "/__pullcheck__/notpush") == []
    assert (oct(path.stat().st_mode & 0o777), oct(path.parent.stat().st_mode & 0o777)) == (
        "0o600",
        "0o700",
    )


@pytest.mark.timeout(60)
def test_an_existing_wide_data_folder_is_made_private_when_the_proxy_starts(tmp_path, site):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    (data / "notpush.yaml").write_text("- {code: PP201, recipient: ann}\n")
    (data / "notpush.yaml").chmod(0o644)
    with start(tmp_path, plain_config(site), data):
        pass
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert oct((data / "notpush.yaml").stat().st_mode & 0o777) == "0o600"
