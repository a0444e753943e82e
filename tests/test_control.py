"""The banner's control endpoints: the gate (token + same origin), own-origin events and holds,
decisions taken exactly once, the "Not push" file, the static files."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from mitmproxy.test import tflow, tutils
from pullcheck.config_layers import read_notpush
from pullcheck.notpush import MAX_ENTRIES
from pullcheck.proxy.control import handle
from pullcheck.proxy.feed import VerdictFeed
from pullcheck.proxy.holds import HoldRegistry
from pullcheck.proxy.pages import PageTokens

HOME = "http://127.0.0.1:8123"
OTHER = "http://127.0.0.1:9999"


class Verdictless:
    """An engine stand-in for the gate tests, which never reach the engine."""

    def judge(self, draft):  # pragma: no cover - reaching it is a failure of the gate
        raise AssertionError("the gate let a forbidden request through")


def make_state(tmp_path: Path, engine=None):
    return SimpleNamespace(
        pages=PageTokens(),
        feed=VerdictFeed(),
        holds=HoldRegistry(timeout_s=5),
        engine=engine or Verdictless(),
        memory=None,
        route=None,
        mode="hold",
        config=SimpleNamespace(notpush_path=lambda: tmp_path / "notpush.yaml"),
    )


def request_flow(
    endpoint: str,
    payload=None,
    *,
    origin: str | None = HOME,
    token=None,
    fetch_site: str | None = "same-origin",
    method="POST",
    port=8123,
):
    req = tutils.treq(
        method=method.encode(),
        scheme=b"http",
        host="127.0.0.1",
        port=port,
        path=f"/__pullcheck__/{endpoint}".encode(),
        headers=[(b"content-type", b"application/json")],
        content=json.dumps(payload or {}).encode(),
    )
    if origin is not None:
        req.headers["origin"] = origin
    if fetch_site is not None:
        req.headers["sec-fetch-site"] = fetch_site
    if token is not None:
        req.headers["x-pullcheck-token"] = token
    flow = tflow.tflow(req=req)
    flow.response = None
    return flow


def call(flow, state):
    asyncio.run(handle(flow, state))
    return flow.response


def body(response):
    return json.loads(response.content)


# --- the gate --------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["check", "events", "decide", "notpush"])
def test_no_token_is_403_with_an_empty_body(tmp_path, endpoint):
    state = make_state(tmp_path)
    response = call(request_flow(endpoint, {"text": "hi"}), state)
    assert response.status_code == 403
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_made_up_token_is_403(tmp_path):
    state = make_state(tmp_path)
    state.pages.issue(HOME)
    assert call(request_flow("events", token="guessed"), state).status_code == 403


def test_a_token_of_another_origin_is_403(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(OTHER)
    assert call(request_flow("events", token=token), state).status_code == 403


def test_a_cross_origin_request_with_a_stolen_token_is_403(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    cross = request_flow("events", token=token, origin="https://evil.example", fetch_site=None)
    assert call(cross, state).status_code == 403
    site = request_flow("events", token=token, origin=HOME, fetch_site="cross-site")
    assert call(site, state).status_code == 403
    same_site = request_flow("events", token=token, origin=HOME, fetch_site="same-site")
    assert call(same_site, state).status_code == 403
    typed = request_flow("events", token=token, origin=None, fetch_site="none")
    assert call(typed, state).status_code == 403  # a navigation the user started, not the page


def test_a_request_with_neither_origin_nor_fetch_metadata_is_403(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    flow = request_flow("events", token=token, origin=None, fetch_site=None)
    assert call(flow, state).status_code == 403


def test_token_endpoints_refuse_get(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    assert call(request_flow("events", token=token, method="GET"), state).status_code == 403


def test_unknown_endpoint_is_403(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    assert call(request_flow("admin", token=token), state).status_code == 403


def test_a_token_that_never_polls_dies_after_its_first_use_window():
    now = [0.0]
    pages = PageTokens(first_use_s=10, grace_s=5, clock=lambda: now[0])
    token = pages.issue(HOME)
    now[0] = 9
    assert pages.valid(token, HOME)  # checks do not extend its life: only the page's polls do
    now[0] = 11
    assert not pages.valid(token, HOME)


def test_a_token_lives_while_its_page_polls_and_dies_soon_after_the_page_goes():
    now = [0.0]
    pages = PageTokens(first_use_s=10, grace_s=5, clock=lambda: now[0])
    token = pages.issue(HOME)
    pages.poll_opened(token)
    now[0] = 3600  # an open poll keeps it, however long the tab stays open
    assert pages.valid(token, HOME)
    pages.poll_closed(token)
    now[0] = 3604
    assert pages.valid(token, HOME)  # the banner reopens its poll at once: a short grace
    now[0] = 3606
    assert not pages.valid(token, HOME)
    pages.poll_opened(token)  # a dead token cannot be revived
    assert not pages.valid(token, HOME)


def test_a_page_is_live_for_holds_only_while_its_poll_is_open_or_just_closed():
    now = [0.0]
    pages = PageTokens(clock=lambda: now[0])
    token = pages.issue(HOME)
    assert not pages.live_page(HOME)  # injected, but its banner never polled
    pages.poll_opened(token)
    assert pages.live_page(HOME)
    assert not pages.live_page(OTHER)
    pages.poll_closed(token)
    now[0] = 4
    assert pages.live_page(HOME, within_s=5)
    now[0] = 6
    assert not pages.live_page(HOME, within_s=5)


def test_token_store_is_bounded():
    pages = PageTokens(max_tokens=3)
    tokens = [pages.issue(HOME) for _ in range(5)]
    assert len(pages) == 3
    assert not pages.valid(tokens[0], HOME)
    assert pages.valid(tokens[4], HOME)


# --- static files ----------------------------------------------------------------------------


def test_static_files_need_no_token_and_are_cached_long(tmp_path):
    state = make_state(tmp_path)
    for name, kind in (("banner.js", "javascript"), ("banner.css", "text/css")):
        response = call(request_flow(name, method="GET", origin=None, fetch_site=None), state)
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert "max-age=31536000" in response.headers["cache-control"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert len(response.content) > 1000


# --- events: own origin only -----------------------------------------------------------------


def test_events_show_only_this_origins_verdicts_and_holds(tmp_path):
    state = make_state(tmp_path)
    home_token = state.pages.issue(HOME)
    state.feed.publish(HOME, {"type": "verdict", "id": "v1", "level": "warning"})
    state.feed.publish(OTHER, {"type": "verdict", "id": "v2", "level": "error"})

    async def scenario():
        hold = state.holds.open("f1", OTHER, {"level": "error"}, {})
        flow = request_flow("events", {"since": 0, "wait": 0}, token=home_token)
        await handle(flow, state)
        state.holds.decide(hold.hold_id, "edit")
        return flow.response

    response = asyncio.run(scenario())
    payload = body(response)
    assert [e["id"] for e in payload["events"]] == ["v1"]
    assert payload["pending"] == []
    assert response.headers["cache-control"] == "no-store"


def test_events_long_poll_wakes_on_a_new_event(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)

    async def scenario():
        flow = request_flow("events", {"since": 0, "wait": 5}, token=token)
        task = asyncio.create_task(handle(flow, state))
        await asyncio.sleep(0.05)
        assert not task.done()
        state.feed.publish(HOME, {"type": "verdict", "id": "late"})
        await asyncio.wait_for(task, 2)
        return flow.response

    payload = body(asyncio.run(scenario()))
    assert [e["id"] for e in payload["events"]] == ["late"]
    assert payload["last"] == 1


def test_events_rejects_bad_bodies_with_400(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    response = call(request_flow("events", {"since": -4}, token=token), state)
    assert response.status_code == 400


# --- decide ----------------------------------------------------------------------------------


def test_decide_releases_a_hold_exactly_once(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)

    async def scenario():
        hold = state.holds.open("f1", HOME, {"level": "warning"}, {})
        waiting = asyncio.create_task(state.holds.wait(hold))
        first = request_flow("decide", {"hold_id": hold.hold_id, "decision": "send"}, token=token)
        second = request_flow("decide", {"hold_id": hold.hold_id, "decision": "send"}, token=token)
        await handle(first, state)
        await handle(second, state)
        return await asyncio.wait_for(waiting, 2), first.response, second.response

    outcome, first, second = asyncio.run(scenario())
    assert outcome == "send"
    assert (first.status_code, body(first)["ok"]) == (200, True)
    assert (second.status_code, body(second)["ok"]) == (409, False)


def test_another_origin_cannot_decide_this_origins_hold(tmp_path):
    state = make_state(tmp_path)
    other_token = state.pages.issue(OTHER)

    async def scenario():
        hold = state.holds.open("f1", HOME, {"level": "warning"}, {})
        # Its own token, on its own origin, naming our hold id: unknown to that origin.
        flow = request_flow(
            "decide",
            {"hold_id": hold.hold_id, "decision": "send"},
            token=other_token,
            origin=OTHER,
            port=9999,
        )
        await handle(flow, state)
        # Its token sent to our origin: the gate.
        cross = request_flow(
            "decide", {"hold_id": hold.hold_id, "decision": "send"}, token=other_token, origin=OTHER
        )
        await handle(cross, state)
        still_pending = state.holds.get(hold.hold_id) is not None
        state.holds.decide(hold.hold_id, "edit")
        return flow.response, cross.response, still_pending

    own, cross, still_pending = asyncio.run(scenario())
    assert own.status_code == 409
    assert cross.status_code == 403
    assert cross.content == b""
    assert still_pending


def test_an_events_poll_keeps_the_page_live_while_it_waits(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)

    async def scenario():
        flow = request_flow("events", {"since": 0, "wait": 5}, token=token)
        task = asyncio.create_task(handle(flow, state))
        await asyncio.sleep(0.05)
        during = state.pages.live_page(HOME, within_s=0)
        state.feed.publish(HOME, {"type": "verdict", "id": "v1"})
        await asyncio.wait_for(task, 2)
        return during, state.pages.live_page(HOME, within_s=0), state.pages.live_page(HOME)

    assert asyncio.run(scenario()) == (True, False, True)


def test_events_carry_the_held_posts_own_text_and_where_it_came_from(tmp_path):
    from pullcheck.proxy.holds import HeldPost

    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    post = HeldPost(platform="x", kind="reply", text="Buy my course", reply_to_author="sam")

    async def scenario():
        hold = state.holds.open(
            "f1",
            HOME,
            {"level": "warning"},
            {},
            post=post,
            from_origin="null",
            own=False,
            client="127.0.0.1",
        )
        flow = request_flow("events", {"since": 0, "wait": 0}, token=token)
        await handle(flow, state)
        state.holds.decide(hold.hold_id, "edit")
        return body(flow.response)["pending"]

    (pending,) = asyncio.run(scenario())
    assert pending["text"] == "Buy my course"
    assert pending["kind"] == "reply"
    assert pending["reply_to"]["author"] == "sam"
    assert (pending["own"], pending["from_origin"]) == (False, "null")
    assert "client" not in pending


def test_deciding_a_hold_whose_client_left_says_nothing_was_sent(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)

    async def scenario():
        hold = state.holds.open("f1", HOME, {"level": "warning"}, {})
        state.holds.flow_gone("f1")
        flow = request_flow("decide", {"hold_id": hold.hold_id, "decision": "send"}, token=token)
        await handle(flow, state)
        return flow.response

    response = asyncio.run(scenario())
    assert response.status_code == 409
    assert body(response) == {
        "ok": False,
        "status": "gone",
        "error": "the client disconnected; nothing was sent",
    }


def test_decide_rejects_other_choices(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    flow = request_flow("decide", {"hold_id": "h1", "decision": "publish"}, token=token)
    assert call(flow, state).status_code == 400


# --- not push --------------------------------------------------------------------------------


def test_notpush_appends_entries_the_config_reads_as_an_allowlist(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    first = {"code": "PP201", "recipient": "@jordan_bakes", "reason": "they asked me\nin DM"}
    second = {"code": "PP301", "domain": "acme-webworks.example"}
    assert call(request_flow("notpush", first, token=token), state).status_code == 200
    assert call(request_flow("notpush", second, token=token), state).status_code == 200
    path = tmp_path / "notpush.yaml"
    entries = yaml.safe_load(path.read_text())
    assert entries[0] == {
        "code": "PP201",
        "recipient": "jordan_bakes",
        "reason": "they asked me in DM",
        "origin": HOME,
    }
    allow = read_notpush(path)
    assert allow.handles == ["jordan_bakes"]
    assert allow.domains == ["acme-webworks.example"]


def test_notpush_keeps_a_mapping_file_and_adds_under_entries(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    path = tmp_path / "notpush.yaml"
    path.write_text("handles: [ann]\n")
    call(request_flow("notpush", {"code": "PP201", "recipient": "bob"}, token=token), state)
    allow = read_notpush(path)
    assert allow.handles == ["ann", "bob"]


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "PP201"},
        {"code": "rm -rf", "recipient": "bob"},
        {"code": "PP201", "recipient": "bob\nhandles: [everyone]"},
        {"code": "PP201", "domain": "not a domain"},
    ],
)
def test_notpush_rejects_bad_entries_and_writes_nothing(tmp_path, payload):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    assert call(request_flow("notpush", payload, token=token), state).status_code == 400
    assert not (tmp_path / "notpush.yaml").exists()


# --- check: the engine, with what the proxy remembers ----------------------------------------


def engine_state(tmp_path):
    from pullcheck.engine import Engine, EngineSettings
    from pullcheck.history import InMemorySentHistory
    from pullcheck.memory import Memory
    from pullcheck.proxy.siteroute import SiteRoute
    from pullcheck.proxy.trust import CONFIGURED_SCOPE
    from pullcheck.rulebook import builtin_rules_dir, load_rule_pack
    from pullcheck.sites.wire import Harvest, SeenPost

    engine = Engine(
        load_rule_pack([builtin_rules_dir()]), EngineSettings(), history=InMemorySentHistory()
    )
    memory = Memory()
    # Learned from the page's own host (configured below): the scope its live checks read.
    memory.remember(
        "x",
        scope=CONFIGURED_SCOPE,
        harvest=Harvest(
            posts=[
                SeenPost("101", "x", "sam_runs", "Finished my first half marathon this morning!"),
                SeenPost(
                    "102",
                    "x",
                    "jordan_bakes",
                    "Can anyone recommend a web designer for my bakery's new site?",
                ),
            ]
        ),
    )
    state = make_state(tmp_path, engine)
    state.memory = memory
    state.route = SiteRoute({"x": {"hosts": ["127.0.0.1:8123"]}})
    return state


PITCH = (
    "We build fast, affordable websites for small businesses. Check out my site "
    "https://acme-webworks.example/pricing and DM me for 20% off!"
)


def test_check_judges_a_reply_with_the_parent_post_from_memory(tmp_path):
    state = engine_state(tmp_path)
    token = state.pages.issue(HOME)
    ask = {"text": PITCH, "kind": "reply", "platform": "x", "reply_to_id": "101"}
    response = call(request_flow("check", ask, token=token), state)
    payload = body(response)
    assert response.status_code == 200
    assert payload["reply_to"]["author"] == "sam_runs"
    codes = [f["code"] for f in payload["verdict"]["findings"]]
    assert "PP201" in codes
    assert payload["verdict"]["level"] in ("warning", "error")
    assert response.headers["cache-control"] == "no-store"


def test_check_passes_an_answer_to_a_post_that_asked(tmp_path):
    state = engine_state(tmp_path)
    token = state.pages.issue(HOME)
    ask = {
        "text": "I'm a web designer in Leeds and built two bakery sites, happy to help!",
        "kind": "reply",
        "platform": "x",
        "reply_to_id": "102",
    }
    payload = body(call(request_flow("check", ask, token=token), state))
    assert payload["verdict"]["level"] == "none"
    assert all(f["severity"] == "info" for f in payload["verdict"]["findings"])


def test_check_without_a_platform_takes_the_site_of_the_origin(tmp_path):
    from pullcheck.proxy.siteroute import SiteRoute

    state = engine_state(tmp_path)
    state.route = SiteRoute({"x": {"hosts": ["127.0.0.1:8123"]}})
    token = state.pages.issue(HOME)
    ask = {"text": PITCH, "kind": "reply", "reply_to_id": "101"}
    payload = body(call(request_flow("check", ask, token=token), state))
    assert payload["platform"] == "x"
    assert payload["reply_to"]["author"] == "sam_runs"


def test_check_judges_at_most_the_text_a_send_would_be_judged_on(tmp_path):
    from pullcheck.proxy.judging import MAX_TEXT_CHARS

    state = engine_state(tmp_path)
    seen: list[int] = []
    judge = state.engine.judge

    def judge_and_note(draft):
        seen.append(len(draft.text))
        return judge(draft)

    state.engine = SimpleNamespace(judge=judge_and_note)
    token = state.pages.issue(HOME)
    long = {"text": "a" * 40_000 + PITCH, "kind": "post", "platform": "x"}
    short = {"text": PITCH, "kind": "post", "platform": "x"}
    cut = body(call(request_flow("check", long, token=token), state))
    whole = body(call(request_flow("check", short, token=token), state))
    assert seen == [MAX_TEXT_CHARS, len(PITCH)]
    assert cut["truncated"] is True
    assert whole["truncated"] is False


def test_check_rejects_an_unknown_kind_with_400(tmp_path):
    state = engine_state(tmp_path)
    token = state.pages.issue(HOME)
    flow = request_flow("check", {"text": "hi", "kind": "broadcast"}, token=token)
    assert call(flow, state).status_code == 400


def test_banner_script_uses_no_html_sinks():
    from importlib import resources

    script = resources.files("pullcheck.banner").joinpath("banner.js").read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("style',
        "createContextualFragment",
    ):
        assert sink not in script, sink
    # Timers get functions, never strings (a string timer is eval).
    assert 'setTimeout("' not in script
    assert "setTimeout('" not in script


def test_notpush_reloads_the_config_at_once(tmp_path):
    state = make_state(tmp_path)
    seen = []
    state.watcher = SimpleNamespace(
        poll=lambda: seen.append((tmp_path / "notpush.yaml").exists()) or True
    )
    token = state.pages.issue(HOME)
    call(request_flow("notpush", {"code": "PP201", "recipient": "bob"}, token=token), state)
    assert seen
    assert seen[0] is True


def test_notpush_answers_once_the_reloaded_config_allows_the_recipient(tmp_path):
    from pullcheck.config_schema import Allowlist

    state = make_state(tmp_path)
    polls = []

    def poll():
        polls.append(1)
        if len(polls) == 2:  # the first poll lost the race with the watcher's own
            state.config.allow = Allowlist(handles=["bob"], domains=[])
        return True

    state.config.allow = Allowlist(handles=[], domains=[])
    state.watcher = SimpleNamespace(poll=poll)
    token = state.pages.issue(HOME)
    call(request_flow("notpush", {"code": "PP201", "recipient": "bob"}, token=token), state)
    assert len(polls) == 2


def test_check_and_events_carry_a_rejected_config_edit_as_one_line(tmp_path):
    from pullcheck.config_watch import ConfigWatcher

    path = tmp_path / "config.yaml"
    path.write_text("mode: warn\n", encoding="utf-8")
    state = engine_state(tmp_path)
    state.watcher = ConfigWatcher(path, data_folder=tmp_path / "data")
    token = state.pages.issue(HOME)
    ask = {"text": "Lovely photo!", "kind": "post", "platform": "x"}
    assert body(call(request_flow("check", ask, token=token), state))["config_error"] is None
    path.write_text("mode: warn\nrules:\n  PP210: off\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    state.watcher.poll()
    expected = "config.yaml:3 key 'rules.PP210': unknown rule code 'PP210' (did you mean 'PP201'?)"
    assert body(call(request_flow("check", ask, token=token), state))["config_error"] == expected
    events = call(request_flow("events", {"since": 0, "wait": 0}, token=token), state)
    assert body(events)["config_error"] == expected


def test_a_rejected_edit_wakes_every_open_banner_at_once(tmp_path, monkeypatch):
    from pullcheck.proxy.state import ProxyState

    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "config.yaml"
    path.write_text("mode: warn\n", encoding="utf-8")
    state = ProxyState.open(path, tmp_path / "data", 1 << 20)
    try:
        token = state.pages.issue(HOME)
        first = body(call(request_flow("events", {"since": 0, "wait": 0}, token=token), state))
        path.write_text("mode: warn\nrules:\n  PP210: off\n", encoding="utf-8")
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
        state.watcher.poll()
        # The long poll answers with the news instead of waiting out its 25 s.
        ask = {"since": first["last"], "wait": 25}
        started = time.monotonic()
        answer = body(call(request_flow("events", ask, token=token), state))
        assert time.monotonic() - started < 5
        assert [e["type"] for e in answer["events"]] == ["config"]
        assert answer["config_error"].startswith("config.yaml:3 key 'rules.PP210'")
    finally:
        state.close()


def test_notpush_beyond_a_few_a_minute_from_one_page_gets_429_and_writes_nothing(tmp_path):
    from pullcheck.notpush import RATE_PER_MINUTE
    from pullcheck.proxy.trust import RateLimit

    state = make_state(tmp_path)
    state.notpush_rate = RateLimit(RATE_PER_MINUTE, RATE_PER_MINUTE, clock=lambda: 0.0)
    token = state.pages.issue(HOME)
    statuses = [
        call(
            request_flow("notpush", {"code": "PP201", "recipient": f"user{n}"}, token=token), state
        ).status_code
        for n in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    assert len(yaml.safe_load((tmp_path / "notpush.yaml").read_text())) == 5


def test_a_full_notpush_list_refuses_with_a_message_naming_the_file(tmp_path):
    state = make_state(tmp_path)
    path = tmp_path / "notpush.yaml"
    path.write_text(
        yaml.safe_dump([{"code": "PP201", "recipient": f"u{n}"} for n in range(MAX_ENTRIES)])
    )
    token = state.pages.issue(HOME)
    response = call(
        request_flow("notpush", {"code": "PP201", "recipient": "one_more"}, token=token), state
    )
    assert response.status_code == 409
    assert "full" in body(response)["error"]
    assert str(path) in body(response)["error"]
    assert len(yaml.safe_load(path.read_text())) == MAX_ENTRIES


def test_the_same_notpush_entry_twice_is_written_once(tmp_path):
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    for _ in range(2):
        flow = request_flow("notpush", {"code": "PP201", "recipient": "bob"}, token=token)
        assert call(flow, state).status_code == 200
    assert len(yaml.safe_load((tmp_path / "notpush.yaml").read_text())) == 1


def test_the_notpush_file_is_private_even_when_it_was_wider(tmp_path):
    state = make_state(tmp_path)
    path = tmp_path / "notpush.yaml"
    token = state.pages.issue(HOME)
    call(request_flow("notpush", {"code": "PP201", "recipient": "ann"}, token=token), state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    call(request_flow("notpush", {"code": "PP201", "recipient": "bob"}, token=token), state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_notpush_writes_the_file_off_the_event_loop(tmp_path, monkeypatch):
    import threading

    from pullcheck import notpush

    writers = []
    real = notpush.append_notpush

    def spy(*args, **kwargs):
        writers.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr("pullcheck.proxy.notpush_endpoint.append_notpush", spy)
    state = make_state(tmp_path)
    token = state.pages.issue(HOME)
    call(request_flow("notpush", {"code": "PP201", "recipient": "ann"}, token=token), state)
    assert writers
    assert writers[0] is not threading.main_thread()


def test_page_tokens_tell_which_origins_have_a_page_open():
    now = [1000.0]
    tokens = PageTokens(grace_s=60, first_use_s=60, clock=lambda: now[0])
    token = tokens.issue(HOME)
    assert tokens.serves(HOME)
    assert not tokens.serves(OTHER)
    now[0] += 50
    assert tokens.valid(token, HOME)  # in use: stays open
    now[0] += 50
    assert tokens.serves(HOME)
    now[0] += 61
    assert not tokens.serves(HOME)
