"""The add-on with mitmproxy's test flows (no network): routing, verdicts, holds, fail-open."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy import exceptions, http, websocket
from mitmproxy.test import taddons, tflow
from pullcheck.engine import Engine, Judgement
from pullcheck.engine_factory import build_engine
from pullcheck.models import Draft, Kind
from pullcheck.proxy import addon as addon_module
from pullcheck.proxy.addon import ANSWERED_BY_PULLCHECK, CONTROL_PREFIX, PullcheckAddon
from pullcheck.proxy.flowwire import page_origin, request_origin, wire_request
from pullcheck.proxy.hold_flow import HoldFlow
from pullcheck.proxy.state import ProxyState
from pullcheck.sites import ADAPTERS_BY_NAME
from site_fixtures import SITES, composed, fixture_names, load
from wsproto.frame_protocol import Opcode
from x_samples import PITCH_BODY

COMPOSE = [n for site in SITES for n in fixture_names(site, "outgoing_request")]
READ = [n for site in SITES for n in fixture_names(site, "incoming_response")]
REPLY = "x_create_tweet_reply.json"
PARENT = "x_read_home_timeline_response.json"


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Never touch the real user's config or data."""
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def run(coro: Any, timeout: float = 20) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[PullcheckAddon]:
    """One add-on for the many read-only checks (loading the rule pack per test is slow)."""
    folder = tmp_path_factory.mktemp("shared-proxy")
    (folder / "config.yaml").write_text("mode: warn\n")
    addon = PullcheckAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(
            addon,
            pullcheck_config=str(folder / "config.yaml"),
            pullcheck_data_dir=str(folder / "data"),
        )
        yield addon
        addon.done()


def messages_of(flow: http.HTTPFlow) -> list[websocket.WebSocketMessage]:
    """The messages of a WebSocket flow (`tflow.twebsocketflow` makes one)."""
    assert flow.websocket is not None
    return flow.websocket.messages


def state_of(addon: PullcheckAddon) -> ProxyState:
    """The loaded add-on's state (None only before `load` or after `done`)."""
    assert addon.state is not None
    return addon.state


@contextmanager
def proxy(**options: Any) -> Iterator[tuple[PullcheckAddon, Any]]:
    """The add-on inside mitmproxy's test context (must run inside an event loop)."""
    addon = PullcheckAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, **options)
        try:
            yield addon, tctx
        finally:
            addon.done()


def request_flow(fixture: dict[str, Any], body: bytes | None = None) -> http.HTTPFlow:
    spec = fixture["request"]
    content = spec.get("body") or ""
    request = http.Request.make(
        spec.get("method", "GET"),
        spec["url"],
        content.encode("utf-8") if body is None else body,
        dict(spec.get("headers") or {}),
    )
    return tflow.tflow(req=request)


def response_flow(fixture: dict[str, Any]) -> http.HTTPFlow:
    flow = request_flow({"request": {**fixture["request"], "body": ""}})
    spec = fixture["response"]
    flow.response = http.Response.make(
        spec.get("status", 200), spec["body"].encode("utf-8"), dict(spec.get("headers") or {})
    )
    return flow


def x_compose(body: bytes, headers: dict[str, str] | None = None) -> http.HTTPFlow:
    """An X CreateTweet request whose wire body is `body` exactly (even with an encoding)."""
    flow = tflow.tflow(
        req=http.Request.make(
            "POST",
            "https://x.com/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/CreateTweet",
            b"",
            http.Headers(content_type="application/json", origin="https://x.com"),
        )
    )
    for name, value in (headers or {}).items():
        flow.request.headers[name] = value
    flow.request.raw_content = body
    return flow


def to_wire(flow: http.HTTPFlow):
    wire = wire_request(flow.request, 1 << 20)
    assert wire is not None
    return wire


def snapshot(flow: http.HTTPFlow) -> dict[str, Any]:
    state = flow.get_state()
    state.pop("metadata", None)
    return state


def sent_count(addon: PullcheckAddon) -> int:
    assert state_of(addon).recorder.flush(10)
    return len(state_of(addon).sent_log)


def verdicts(addon: PullcheckAddon, origin: str) -> list[dict[str, Any]]:
    return [e for e in state_of(addon).feed.events_after(origin, 0) if e["type"] == "verdict"]


# -- compose requests --------------------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSE)
def test_every_compose_fixture_gets_a_verdict_and_goes_on_untouched(name, shared):
    fixture = load(name)
    flow = request_flow(fixture)
    before = snapshot(flow)
    feed, origin = state_of(shared).feed, page_origin(flow.request)
    last = feed.last_seq(origin)
    run(shared.request(flow))
    events = [e for e in feed.events_after(origin, last) if e["type"] == "verdict"]
    assert flow.response is None
    assert snapshot(flow) == before
    assert len(events) == 1
    event = events[0]
    assert event["platform"] == fixture["platform"]
    assert event["level"] in ("none", "info", "warning", "error")
    assert 0 <= event["score"] <= 100
    # Which kind each fixture is, is the adapters' tests' business; here: a valid one.
    assert event["kind"] in get_args(Kind)


def test_the_verdict_goes_to_the_page_origin_from_the_origin_header():
    fixture = load("bluesky_chat_send_message.json")

    origin = fixture["request"]["headers"].get("origin") or fixture["request"]["headers"].get(
        "Origin"
    )
    flow = request_flow(fixture)
    addressed_to = request_origin(flow.request)
    assert addressed_to != origin.lower()  # the API host is not the page's

    async def scenario():
        with proxy() as (addon, _):
            await addon.request(flow)
            return verdicts(addon, origin.lower()), verdicts(addon, addressed_to)

    to_the_page, to_the_api_host = run(scenario())
    assert len(to_the_page) == 1
    assert to_the_api_host == []


def test_a_reply_is_judged_with_the_parent_seen_earlier(monkeypatch):
    judged: list[Draft] = []
    original = Engine.judge_fully

    def spy(engine, draft, now=None):
        judged.append(draft)
        return original(engine, draft, now)

    monkeypatch.setattr(Engine, "judge_fully", spy)

    async def scenario():
        with proxy() as (addon, _):
            addon.response(response_flow(load(PARENT)))
            await addon.request(request_flow(load(REPLY)))

    run(scenario())
    [draft] = judged
    assert draft.kind == "reply"
    assert draft.reply_to is not None
    assert draft.reply_to.text
    assert draft.reply_to.author


def test_other_hosts_are_left_alone():
    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.tflow(
                req=http.Request.make(
                    "POST",
                    "https://shop.example/api/v1/cart",
                    b'{"status": "buy my stuff"}',
                    http.Headers(content_type="application/json"),
                )
            )
            flow.request.path = "/checkout"
            before = snapshot(flow)
            await addon.request(flow)
            addon.response(flow)
            return flow, before, state_of(addon).verdicts_judged

    flow, before, judged = run(scenario())
    assert snapshot(flow) == before
    assert judged == 0


def test_reading_requests_are_not_judged():
    fixture = load(REPLY)

    async def scenario():
        with proxy() as (addon, _):
            flow = request_flow(fixture)
            flow.request.method = "GET"
            await addon.request(flow)
            return state_of(addon).verdicts_judged

    assert run(scenario()) == 0


def test_mode_off_judges_nothing():
    async def scenario():
        with proxy(pullcheck_mode="off") as (addon, _):
            await addon.request(request_flow(load(REPLY)))
            return state_of(addon).verdicts_judged

    assert run(scenario()) == 0


def test_a_body_over_the_limit_passes_through_unread():
    async def scenario():
        with proxy(pullcheck_max_body=2048) as (addon, _):
            body = json.dumps({**PITCH_BODY, "pad": "x" * 4096}).encode()
            flow = x_compose(body)
            before = snapshot(flow)
            await addon.request(flow)
            return flow, before, state_of(addon).verdicts_judged

    flow, before, judged = run(scenario())
    assert judged == 0
    assert snapshot(flow) == before


def test_a_small_body_that_inflates_past_the_limit_is_not_read():
    async def scenario():
        with proxy(pullcheck_max_body=4096) as (addon, _):
            body = json.dumps({**PITCH_BODY, "pad": " " * 100_000}).encode()
            flow = x_compose(gzip.compress(body), {"content-encoding": "gzip"})
            assert len(flow.request.raw_content or b"") < 4096
            await addon.request(flow)
            return state_of(addon).verdicts_judged

    assert run(scenario()) == 0


@pytest.mark.parametrize("encoding", ["br", "gzip", "zstd"])
def test_a_compression_bomb_is_not_inflated_past_the_limit_and_passes_untouched(encoding):
    import tracemalloc

    import brotli
    import zstandard

    pad = b" " * (64 * 1024 * 1024)  # JSON whitespace: a real post, 64 MiB once inflated
    body = json.dumps(PITCH_BODY).encode()[:-1] + pad + b"}"
    encode = {
        "br": lambda d: brotli.compress(d, quality=5),
        "gzip": gzip.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[encoding]

    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(encode(body), {"content-encoding": encoding})
            before = snapshot(flow)
            tracemalloc.start()
            try:
                await addon.request(flow)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return flow, before, state_of(addon).verdicts_judged, peak

    flow, before, judged, peak = run(scenario())
    assert judged == 0
    assert snapshot(flow) == before
    # mitmproxy's own decoding made all 64 MiB before the size check.
    assert peak < 24 * 1024 * 1024


def test_a_body_with_too_much_structure_to_parse_is_not_read():
    # json.loads holds the interpreter lock throughout: 4 MB of small keys took about 1.1 s.
    keys = ",".join(f'"k{i}": 0' for i in range(30_000))
    body = '{"variables": {"tweet_text": "Buy now at https://spam.example", ' + keys + "}}"

    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(body.encode())
            await addon.request(flow)
            return state_of(addon).verdicts_judged, state_of(addon).failsafe.count("compose:x")

    assert run(scenario()) == (0, 1)


def test_only_the_first_ten_thousand_characters_are_judged_and_the_verdict_says_so():
    text = "Buy our course now! " + "la " * 20_000

    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(
                json.dumps(
                    {**PITCH_BODY, "variables": {**PITCH_BODY["variables"], "tweet_text": text}}
                ).encode()
            )
            await addon.request(flow)
            return verdicts(addon, "https://x.com")

    (event,) = run(scenario())
    assert event["truncated"] is True
    assert event["complete"] is True


def test_a_judgement_over_its_budget_fails_open_and_never_holds(monkeypatch, caplog):
    import time as time_module

    from pullcheck.engine import Engine

    real = Engine.judge_fully

    def slow(self, draft, now=None):  # a rule pack that takes seconds on this draft
        time_module.sleep(1.5)
        return real(self, draft, now)

    monkeypatch.setattr(Engine, "judge_fully", slow)

    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, _):
            addon.judge_flow.budget_s = 0.2
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            started = time_module.monotonic()
            await addon.request(flow)
            waited = time_module.monotonic() - started
            return (
                flow.response,
                waited,
                state_of(addon).holds.pending(),
                verdicts(addon, "https://x.com"),
            )

    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        response, waited, pending, events = run(scenario())
    assert response is None
    assert pending == []
    assert waited < 1.0  # the budget, not the rule pack, decided how long it waited
    (event,) = events
    assert event["complete"] is False
    assert "longer than 200 ms" in event["reason"]
    assert event["held"] is False
    assert event["findings"] == []
    assert "longer than 200 ms" in caplog.text


def test_a_gzipped_compose_body_is_read():
    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(
                gzip.compress(json.dumps(PITCH_BODY).encode()), {"content-encoding": "gzip"}
            )
            raw = flow.request.raw_content
            await addon.request(flow)
            return state_of(addon).verdicts_judged, flow.request.raw_content == raw

    assert run(scenario()) == (1, True)


BAD_BODIES = [
    b"",
    b"{",
    b'{"variables": {"tweet_text": ',
    b"\xff\xfe\x00garbage\x80\x81",
    b"[1, 2, 3]",
    b'{"variables": "not a mapping"}',
    b'{"variables": {"tweet_text": 42}}',
    b'--boundary\r\nContent-Disposition: form-data; name="status"\r\n\r\nhi\r\n--boundary--',
    json.dumps({"variables": {"tweet_text": "x" * 50_000}}).encode(),
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "multipart/form-data; boundary=b",
        "text/plain",
        "application/x-www-form-urlencoded",
    ],
)
def test_bad_bodies_never_raise(body, content_type, shared):
    errors = shared.state.failsafe.total
    flow = x_compose(body, {"content-type": content_type})
    before = snapshot(flow)
    run(shared.request(flow))
    flow.response = http.Response.make(200, body, {"content-type": content_type})
    shared.response(flow)
    assert shared.state.failsafe.total == errors
    before.pop("response", None)
    after = snapshot(flow)
    after.pop("response", None)
    assert after == before


def test_a_lying_content_encoding_never_raises():
    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(json.dumps(PITCH_BODY).encode(), {"content-encoding": "br"})
            raw = flow.request.raw_content
            await addon.request(flow)
            return flow.request.raw_content == raw

    assert run(scenario()) is True


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(COMPOSE), data=st.data())
def test_mutated_fixture_bodies_never_raise_and_never_change_the_flow(shared, name, data):
    fixture = load(name)
    original = (fixture["request"].get("body") or "").encode()
    if data.draw(st.booleans()):
        body = data.draw(st.binary(max_size=2048))
    else:
        cut = data.draw(st.integers(0, len(original)))
        noise = data.draw(st.binary(max_size=16))
        body = original[:cut] + noise + original[cut + len(noise) :]

    errors = shared.state.failsafe.total
    flow = request_flow(fixture, body)
    before = snapshot(flow)
    run(shared.request(flow))
    assert snapshot(flow) == before
    assert flow.response is None
    assert shared.state.failsafe.total == errors, "adapters should refuse bad bodies, not raise"


# -- read side ---------------------------------------------------------------------------


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(READ), data=st.data())
def test_mutated_read_responses_never_raise_and_never_change_the_response(shared, name, data):
    fixture = load(name)
    original = fixture["response"]["body"].encode()
    if data.draw(st.booleans()):
        body = data.draw(st.binary(max_size=4096))
    else:
        cut = data.draw(st.integers(0, len(original)))
        noise = data.draw(st.binary(max_size=16))
        body = original[:cut] + noise + original[cut + len(noise) :]
    flow = response_flow(fixture)
    assert flow.response is not None
    flow.response.set_content(body)
    before = snapshot(flow)
    errors = shared.state.failsafe.total
    shared.injector = None  # pages are the injector's tests' business
    shared.response(flow)
    assert snapshot(flow) == before
    assert shared.state.failsafe.total == errors


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=st.one_of(st.binary(max_size=2048), st.text(max_size=2048).map(str.encode)))
def test_random_stream_frames_never_raise(shared, frame):
    flow = tflow.twebsocketflow(messages=False)
    flow.request.url = "https://mastodon.example/api/v1/streaming/?stream=user"
    messages_of(flow).append(websocket.WebSocketMessage(Opcode.TEXT, False, frame))
    errors = shared.state.failsafe.total
    shared.websocket_message(flow)
    assert shared.state.failsafe.total == errors


def watch_the_fixture_instance(tmp_path):
    """The Mastodon fixtures come from `mastodon.example`: a host the user configured."""
    (tmp_path / "config.yaml").write_text(
        "mode: warn\nsites:\n  mastodon: {hosts: [mastodon.example]}\n"
    )


@pytest.mark.parametrize("name", READ)
def test_read_fixtures_are_harvested_without_touching_the_response(name, tmp_path):
    fixture = load(name)
    watch_the_fixture_instance(tmp_path)

    async def scenario():
        with proxy() as (addon, _):
            addon.injector = None  # the page itself is the injector's tests' business
            flow = response_flow(fixture)
            before = snapshot(flow)
            addon.response(flow)
            memory = state_of(addon).memory
            seen = {
                post["id"]: memory.seen_post(fixture["platform"], post["id"], scope=None)
                for post in fixture["expected"].get("posts", [])
            }
            return flow, before, seen, state_of(addon).failsafe.total

    flow, before, seen, errors = run(scenario())
    assert errors == 0
    assert snapshot(flow) == before
    for post_id, post in seen.items():
        assert post is not None, f"post {post_id} not remembered"


def test_the_mastodon_stream_is_harvested(tmp_path):
    fixture = load("mastodon_read_streaming_ws_frame.json")
    frame = fixture["frame"]
    watch_the_fixture_instance(tmp_path)

    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.twebsocketflow(messages=False)
            flow.request.url = frame["url"].replace("wss://", "https://")
            messages_of(flow).append(
                websocket.WebSocketMessage(Opcode.TEXT, False, frame["body"].encode())
            )
            addon.websocket_message(flow)
            return state_of(addon).memory.seen_post(
                "mastodon", fixture["expected"]["posts"][0]["id"], scope="mastodon.example"
            )

    post = run(scenario())
    assert post is not None
    assert "photographer" in post.text


def test_a_configured_instances_streaming_host_teaches_that_instance(tmp_path):
    fixture = load("mastodon_read_streaming_ws_frame.json")
    frame = fixture["frame"]
    watch_the_fixture_instance(tmp_path)

    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.twebsocketflow(messages=False)
            flow.request.url = frame["url"].replace(
                "wss://mastodon.example", "https://streaming.mastodon.example"
            )
            messages_of(flow).append(
                websocket.WebSocketMessage(Opcode.TEXT, False, frame["body"].encode())
            )
            addon.websocket_message(flow)
            return state_of(addon).memory.seen_post(
                "mastodon", fixture["expected"]["posts"][0]["id"], scope="mastodon.example"
            )

    assert run(scenario()) is not None


@pytest.mark.parametrize("content", [b"\x00\xff binary", b"{not json", b"", b'"just a string"'])
def test_odd_websocket_frames_never_raise(content):
    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.twebsocketflow(messages=False)
            flow.request.url = "https://mastodon.example/api/v1/streaming/?stream=user"
            for opcode in (Opcode.TEXT, Opcode.BINARY):
                messages_of(flow).append(websocket.WebSocketMessage(opcode, False, content))
                addon.websocket_message(flow)
            return state_of(addon).failsafe.total

    assert run(scenario()) == 0


# -- the sent log ------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "logged"), [(200, 1), (201, 1), (403, 0), (500, 0)])
def test_only_compose_requests_the_site_accepted_enter_the_sent_log(status, logged):
    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            await addon.request(flow)
            flow.response = http.Response.make(status, b"{}", {"content-type": "application/json"})
            addon.response(flow)
            return sent_count(addon)

    assert run(scenario()) == logged


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        (b'{"errors":[{"message":"Status is a duplicate. (187)","code":187}],"data":{}}', 0),
        (b'{"errors":[{"code":130,"message":"Over capacity"}]}', 0),
        (
            b'{"data":{"create_tweet":{"tweet_results":{"result":{"rest_id":"1"}}}},'
            b'"errors":[{"message":"a field was slow"}]}',
            1,
        ),
        (b'{"data":{"create_tweet":{"tweet_results":{}}}}', 1),
        (b'{"errors": "not a list"}', 1),
        (b"{not json", 1),
    ],
)
def test_a_graphql_refusal_with_status_200_is_not_logged(body, logged):
    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            await addon.request(flow)
            flow.response = http.Response.make(200, body, {"content-type": "application/json"})
            addon.response(flow)
            return sent_count(addon)

    assert run(scenario()) == logged


def test_a_request_that_errored_is_not_logged():
    async def scenario():
        with proxy() as (addon, _):
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            await addon.request(flow)
            addon.error(flow)
            # A late answer to the failed flow (mitmproxy sends none, but a retry could reuse
            # the flow) finds nothing waiting: the judgement was dropped with the error.
            flow.response = http.Response.make(200, b"{}")
            addon.response(flow)
            return sent_count(addon)

    assert run(scenario()) == 0


# -- holds -------------------------------------------------------------------------------


def open_page(addon: PullcheckAddon, origin: str = "https://x.com") -> str:
    """A pullcheck page of `origin` with its events poll open (a held post waits for it)."""
    token = state_of(addon).pages.issue(origin)
    state_of(addon).pages.poll_opened(token)
    return token


async def held(addon: PullcheckAddon) -> tuple[http.HTTPFlow, asyncio.Task[None], str]:
    open_page(addon)
    flow = x_compose(json.dumps(PITCH_BODY).encode())
    task = asyncio.create_task(addon.request(flow))
    for _ in range(200):
        await asyncio.sleep(0.01)
        pending = state_of(addon).holds.pending()
        if pending:
            return flow, task, pending[0].hold_id
    raise AssertionError("the post was not held")


def test_hold_mode_holds_a_flagged_post_until_send():
    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, tctx):
            flow, task, hold_id = await held(addon)
            assert not task.done()
            tctx.command(addon.decide, hold_id, "send")
            await task
            flow.response = http.Response.make(200, b"{}")
            addon.response(flow)
            events = [e["type"] for e in state_of(addon).feed.events_after("https://x.com", 0)]
            return flow.response.status_code, sent_count(addon), events

    status, logged, events = run(scenario())
    assert (status, logged) == (200, 1)
    assert events == ["verdict", "hold", "hold_resolved"]


@pytest.mark.parametrize("choice", ["edit", "timeout"])
def test_edit_or_timeout_answers_with_the_sites_failure_and_logs_nothing(choice):
    async def scenario():
        with proxy(pullcheck_mode="hold", pullcheck_hold_timeout=1) as (addon, tctx):
            flow, task, hold_id = await held(addon)
            if choice == "edit":
                tctx.command(addon.decide, hold_id, "edit")
            await task
            addon.response(flow)
            return flow, sent_count(addon)

    flow, logged = run(scenario())
    failure = composed(ADAPTERS_BY_NAME["x"], to_wire(flow)).failure
    assert logged == 0
    assert flow.metadata[ANSWERED_BY_PULLCHECK] is True
    assert flow.response is not None
    assert flow.response.status_code == failure.status
    message = json.loads(flow.response.content)["errors"][0]["message"]
    why = "You chose Edit" if choice == "edit" else "No decision within 1 s"
    assert message.startswith("Not sent: held by pullcheck: PP")
    assert why in message


def test_a_second_decision_on_the_same_hold_is_an_error():
    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, tctx):
            flow, task, hold_id = await held(addon)
            tctx.command(addon.decide, hold_id, "send")
            await task
            with pytest.raises(exceptions.CommandError):
                tctx.command(addon.decide, hold_id, "edit")
            return flow.response

    assert run(scenario()) is None


def test_the_holds_command_lists_pending_holds():
    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, tctx):
            _, task, hold_id = await held(addon)
            listing = tctx.command(addon.holds)
            tctx.command(addon.decide, hold_id, "edit")
            await task
            return hold_id, listing, tctx.command(addon.holds)

    hold_id, listing, after = run(scenario())
    assert len(listing) == 1
    assert listing[0].startswith(hold_id)
    assert "https://x.com" in listing[0]
    assert after == []


def test_held_posts_are_bounded_and_the_rest_get_the_failure_answer_at_once(monkeypatch):
    from pullcheck.proxy import holds as holds_module

    monkeypatch.setattr(holds_module, "MAX_PENDING", 2)

    async def scenario():
        with proxy(pullcheck_mode="hold", pullcheck_hold_timeout=5) as (addon, _):
            open_page(addon)
            tasks, flows = [], []
            for n in range(3):
                body = dict(PITCH_BODY, queryId=f"q{n}")  # three different requests
                flow = x_compose(json.dumps(body).encode())
                flows.append(flow)
                tasks.append(asyncio.create_task(addon.request(flow)))
                await asyncio.sleep(0.05)
            third_answer = flows[2].response
            pending = len(state_of(addon).holds.pending())
            for hold in state_of(addon).holds.pending():
                state_of(addon).holds.decide(hold.hold_id, "edit")
            await asyncio.gather(*tasks)
            return pending, third_answer

    pending, third = run(scenario())
    assert pending == 2
    assert third is not None
    assert b"Too many posts are held already" in third.content


def test_warn_mode_never_holds():
    async def scenario():
        with proxy(pullcheck_mode="warn") as (addon, _):
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            await addon.request(flow)
            return flow.response, state_of(addon).holds.pending(), verdicts(addon, "https://x.com")

    response, pending, events = run(scenario())
    assert response is None
    assert pending == []
    assert events[0]["held"] is False


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("pullcheck_mode", "loud", "loud"),
        ("pullcheck_hold_timeout", 0, "0"),
        ("pullcheck_max_body", 10, "10"),
    ],
)
def test_bad_options_are_refused_naming_the_value(option, value, named):
    async def scenario():
        with proxy() as (addon, tctx):
            with pytest.raises(exceptions.OptionsError, match=named):
                tctx.configure(addon, **{option: value})
            return state_of(addon).mode

    assert run(scenario()) == "warn"


def test_a_missing_explicit_config_file_is_refused(tmp_path):
    async def scenario():
        with (
            proxy() as (addon, tctx),
            pytest.raises(exceptions.OptionsError, match="no such config file"),
        ):
            tctx.configure(addon, pullcheck_config=str(tmp_path / "nope.yaml"))

    run(scenario())


def test_an_invalid_config_is_refused_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: warn\nhold_at: loud\n")

    async def scenario():
        with proxy() as (addon, tctx):
            with pytest.raises(exceptions.OptionsError, match=r"bad\.yaml:2"):
                tctx.configure(addon, pullcheck_config=str(bad))
            return state_of(addon).config_path

    assert run(scenario()) != bad


def test_the_config_file_sets_mode_and_the_option_overrides_it(tmp_path):
    config = tmp_path / "hold.yaml"
    config.write_text("mode: hold\nhold_at: error\n")

    async def scenario():
        with proxy(pullcheck_config=str(config)) as (addon, tctx):
            from_file = (state_of(addon).mode, state_of(addon).hold_at)
            tctx.configure(addon, pullcheck_mode="off")
            return from_file, state_of(addon).mode

    assert run(scenario()) == (("hold", "error"), "off")


def test_the_data_dir_option_moves_the_sent_log(tmp_path):
    async def scenario():
        with proxy(pullcheck_data_dir=str(tmp_path / "elsewhere")) as (addon, _):
            return state_of(addon).sent_log.path

    assert run(scenario()) == tmp_path / "elsewhere" / "sent.sqlite3"


# -- fail open ---------------------------------------------------------------------------


def test_an_adapter_that_raises_leaves_the_flow_identical_and_is_logged_once(monkeypatch, caplog):
    adapter = ADAPTERS_BY_NAME["x"]

    def broken(req):
        raise RuntimeError("adapter bug")

    monkeypatch.setattr(adapter, "compose", broken)

    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, _):
            results = []
            for _ in range(5):
                flow = x_compose(json.dumps(PITCH_BODY).encode())
                before = snapshot(flow)
                await addon.request(flow)
                results.append(snapshot(flow) == before and flow.response is None)
            return results, state_of(addon).failsafe.count("compose:x")

    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        results, count = run(scenario())
    assert all(results)
    assert count == 5
    logged = [r for r in caplog.records if "adapter bug" in r.getMessage()]
    assert len(logged) == 1


def test_an_engine_that_raises_fails_open(monkeypatch):
    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, _):

            def broken(draft, now=None):
                raise ValueError("engine bug")

            # The add-on judges with judge_fully (the sent log reuses its features).
            monkeypatch.setattr(state_of(addon).engine, "judge", broken)
            monkeypatch.setattr(state_of(addon).engine, "judge_fully", broken)
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            before = snapshot(flow)
            await addon.request(flow)
            return snapshot(flow) == before, state_of(addon).failsafe.count("compose:x")

    assert run(scenario()) == (True, 1)


def test_a_hold_that_raises_sends_the_post_on_and_is_logged_once(monkeypatch, caplog):
    async def broken(self, ask, state, judged):
        raise RuntimeError("hold bug")

    monkeypatch.setattr(HoldFlow, "hold", broken)

    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, _):
            results = []
            for _ in range(3):
                flow = x_compose(json.dumps(PITCH_BODY).encode())
                before = snapshot(flow)
                await addon.request(flow)
                results.append(snapshot(flow) == before and flow.response is None)
            return results, state_of(addon).failsafe.count("hold")

    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        results, count = run(scenario())
    assert all(results)
    assert count == 3
    assert len([r for r in caplog.records if "hold bug" in r.getMessage()]) == 1


def test_a_failing_sent_log_does_not_stop_the_response(monkeypatch):
    async def scenario():
        with proxy() as (addon, _):

            def broken(draft, now=None, judged=None):
                raise OSError("disk full")

            monkeypatch.setattr(state_of(addon).engine, "record_sent", broken)
            flow = x_compose(json.dumps(PITCH_BODY).encode())
            await addon.request(flow)
            flow.response = http.Response.make(200, b"{}")
            before = snapshot(flow)
            addon.response(flow)
            state_of(addon).recorder.flush(10)
            return snapshot(flow) == before, state_of(addon).failsafe.count("sent-log")

    assert run(scenario()) == (True, 1)


def test_a_failing_injector_leaves_the_page_byte_identical(monkeypatch):
    class HalfWayInjector:
        @staticmethod
        def inject_banner(flow, state):
            flow.response.headers["x-half"] = "1"
            flow.response.content = b"<html>mangled"
            raise RuntimeError("injector bug")

    async def scenario():
        with proxy() as (addon, _):
            addon.injector = HalfWayInjector
            flow = tflow.tflow(req=http.Request.make("GET", "https://x.com/home"))
            page = gzip.compress(b"<html><head></head><body>hi</body></html>")
            flow.response = http.Response.make(
                200, b"", {"content-type": "text/html", "content-encoding": "gzip"}
            )
            flow.response.raw_content = page
            before = snapshot(flow)
            addon.response(flow)
            return snapshot(flow) == before, state_of(addon).failsafe.count("inject")

    assert run(scenario()) == (True, 1)


def test_a_harvest_that_raises_fails_open(monkeypatch):
    monkeypatch.setattr(
        ADAPTERS_BY_NAME["x"],
        "harvest",
        lambda resp: (_ for _ in ()).throw(KeyError("harvest bug")),
    )

    async def scenario():
        with proxy() as (addon, _):
            flow = response_flow(load(PARENT))
            before = snapshot(flow)
            addon.response(flow)
            return snapshot(flow) == before, state_of(addon).failsafe.count("harvest:x")

    assert run(scenario()) == (True, 1)


# -- control endpoints -------------------------------------------------------------------


def test_control_paths_on_a_site_are_answered_by_the_proxy_never_forwarded():
    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.tflow(
                req=http.Request.make("GET", f"https://x.com{CONTROL_PREFIX}events?token=nope")
            )
            await addon.request(flow)
            return flow.response, flow.metadata.get(ANSWERED_BY_PULLCHECK)

    response, answered = run(scenario())
    assert response is not None
    assert answered is True
    assert response.status_code >= 400  # no page token: refused


@pytest.mark.parametrize(
    "url",
    [
        f"https://shop.example{CONTROL_PREFIX}events",
        # A Mastodon instance recognised by its API paths only: no banner, so no endpoints either.
        f"https://small.instance.example{CONTROL_PREFIX}check?t=stolen",
    ],
)
def test_control_paths_on_origins_without_the_banner_get_an_empty_404(url):
    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.tflow(req=http.Request.make("GET", url))
            await addon.request(flow)
            return flow.response, flow.metadata.get(ANSWERED_BY_PULLCHECK)

    response, answered = run(scenario())
    assert response is not None
    assert answered is True
    assert (response.status_code, response.content) == (404, b"")
    assert response.headers["cache-control"] == "no-store"


def test_the_script_file_exposes_the_addon_for_mitmdump():
    assert isinstance(addon_module.addons[0], PullcheckAddon)


def test_an_error_while_counting_a_decision_never_lets_an_edited_post_through(monkeypatch):
    async def scenario():
        with proxy(pullcheck_mode="hold") as (addon, tctx):
            assert state_of(addon).tally is not None

            def broken(*args, **kwargs):
                raise RuntimeError("stats bug")

            monkeypatch.setattr(state_of(addon).tally, "decided", broken)
            monkeypatch.setattr(state_of(addon).tally, "held", broken)
            flow, task, hold_id = await held(addon)
            tctx.command(addon.decide, hold_id, "edit")
            await task
            return flow, state_of(addon).failsafe.count("tally")

    flow, errors = run(scenario())
    assert flow.response is not None
    assert flow.metadata[ANSWERED_BY_PULLCHECK] is True
    assert errors == 2


def test_the_sent_log_reuses_the_judgement_of_the_same_engine(monkeypatch):
    """The send is recorded with the features and signature worked out while judging, unless
    the engine was swapped (config change) between the request and the site's answer."""

    async def scenario():
        with proxy() as (addon, _):
            state = state_of(addon)
            seen: list[Judgement | None] = []
            made: list[Judgement] = []
            record_sent, judge_fully = Engine.record_sent, Engine.judge_fully

            def spy_record(engine, draft, now=None, judged=None):
                seen.append(judged)
                return record_sent(engine, draft, now=now, judged=judged)

            def spy_judge(engine, draft, now=None):
                made.append(judge_fully(engine, draft, now))
                return made[-1]

            monkeypatch.setattr(Engine, "record_sent", spy_record)
            monkeypatch.setattr(Engine, "judge_fully", spy_judge)
            for swap in (False, True):
                flow = x_compose(json.dumps(PITCH_BODY).encode())
                await addon.request(flow)
                if swap:  # a config change swaps the engine before the site answers
                    state.apply_config(state.config, build_engine(state.config, state.sent_log))
                flow.response = http.Response.make(200, b"{}")
                addon.response(flow)
            assert state.recorder.flush(10)
            return seen, made, len(state.sent_log)

    seen, made, count = run(scenario())
    assert count == 2
    assert len(made) == 2  # one judgement per request
    assert seen[0] is made[0]
    assert made[0].complete
    assert seen[1] is None


def test_a_huge_string_in_a_body_is_cut_before_the_site_adapter_reads_it(monkeypatch):
    from pullcheck.sites import mastodon

    seen: list[int] = []
    real = mastodon.ADAPTER.compose

    def spy(wire):
        seen.append(len(wire.body))
        return real(wire)

    monkeypatch.setattr(mastodon.ADAPTER, "compose", spy)

    async def scenario():
        with proxy() as (addon, _):
            flow = tflow.tflow(
                req=http.Request.make(
                    "POST",
                    "https://mastodon.social/api/v1/statuses",
                    json.dumps({"status": "Buy my course! " + "a" * 3_000_000}).encode(),
                    http.Headers(content_type="application/json", origin="https://mastodon.social"),
                )
            )
            before = snapshot(flow)
            await addon.request(flow)
            return snapshot(flow) == before, verdicts(addon, "https://mastodon.social")

    untouched, events = run(scenario())
    assert untouched  # the flow still carries the body as sent
    assert seen
    assert seen[0] < 20_000
    assert events[0]["truncated"] is True
