"""The add-on counts what happens and answers http://pullcheck.localhost/ itself (mitmproxy's test
flows, no network): drafts checked, warnings, holds and their outcomes, opportunities."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow
from pullcheck.proxy.addon import ANSWERED_BY_PULLCHECK, PullcheckAddon
from pullcheck.proxy.state import ProxyState
from site_fixtures import load
from x_samples import PITCH_BODY

CALM = {
    "variables": {"tweet_text": "Lovely weather for a run today"},
    "queryId": "SiM_cAu83R0wnrpmKQQSEw",
}


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@contextmanager
def proxy(folder: Path, **options: Any) -> Iterator[tuple[PullcheckAddon, Any]]:
    config = folder / "config.yaml"
    # No banner page here: held posts wait for a decision instead of being refused.
    config.write_text(
        'mode: hold\nholds: {without_page: wait}\noffer:\n  - "websites for bakeries"\n'
    )
    addon = PullcheckAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(
            addon, pullcheck_config=str(config), pullcheck_data_dir=str(folder / "data"), **options
        )
        try:
            yield addon, tctx
        finally:
            addon.done()


def compose(body: dict[str, Any]) -> http.HTTPFlow:
    return tflow.tflow(
        req=http.Request.make(
            "POST",
            "https://x.com/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/CreateTweet",
            json.dumps(body).encode(),
            http.Headers(content_type="application/json", origin="https://x.com"),
        )
    )


async def ask_dashboard(
    addon: PullcheckAddon, path: str = "/", method: str = "GET"
) -> http.HTTPFlow:
    flow = tflow.tflow(req=http.Request.make(method, f"http://pullcheck.localhost{path}"))
    await addon.request(flow)
    return flow


def answer(flow: http.HTTPFlow) -> http.Response:
    assert flow.response is not None, "the proxy did not answer"
    return flow.response


def body_of(flow: http.HTTPFlow) -> bytes:
    body = answer(flow).content
    assert body is not None, "the answer's body does not decode"
    return body


def text_of(flow: http.HTTPFlow) -> str:
    return body_of(flow).decode("utf-8")


def state_of(addon: PullcheckAddon) -> ProxyState:
    assert addon.state is not None, "the add-on is not loaded"
    return addon.state


def dashboard(addon: PullcheckAddon, path: str = "/", method: str = "GET") -> http.HTTPFlow:
    return asyncio.run(ask_dashboard(addon, path, method))


async def hold_and_decide(addon: PullcheckAddon, tctx: Any, choice: str | None) -> None:
    flow = compose(PITCH_BODY)
    task = asyncio.ensure_future(addon.request(flow))
    for _ in range(500):
        await asyncio.sleep(0.01)
        pending = state_of(addon).holds.pending()
        if pending:
            break
    else:
        raise AssertionError("the post was not held")
    if choice is not None:
        tctx.command(addon.decide, pending[0].hold_id, choice)
    await asyncio.wait_for(task, 10)


def test_dashboard_is_answered_by_the_proxy_and_locked_down(tmp_path: Path) -> None:
    with proxy(tmp_path) as (addon, _):
        page = dashboard(addon)
        css = dashboard(addon, "/dashboard.css")
        missing = dashboard(addon, "/admin")
        posted = dashboard(addon, "/", "POST")
    assert page.metadata[ANSWERED_BY_PULLCHECK] is True
    assert answer(page).status_code == 200
    assert answer(page).headers["content-type"].startswith("text/html")
    policy = answer(page).headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'self'" in policy
    assert b"<script" not in body_of(page)
    assert answer(css).status_code == 200
    assert b".cards" in body_of(css)
    assert (answer(missing).status_code, answer(posted).status_code) == (404, 405)


def test_figures_after_a_session_of_drafts_holds_and_timelines(tmp_path: Path) -> None:
    timeline = load("x_read_home_timeline_response.json")

    async def session() -> None:
        with proxy(tmp_path, pullcheck_hold_timeout=1) as (addon, tctx):
            read = tflow.tflow(req=http.Request.make("GET", timeline["request"]["url"]))
            read.response = http.Response.make(
                200, timeline["response"]["body"].encode(), {"content-type": "application/json"}
            )
            addon.response(read)
            calm = compose(CALM)
            await addon.request(calm)
            await hold_and_decide(addon, tctx, "edit")
            await hold_and_decide(addon, tctx, "edit")
            await hold_and_decide(addon, tctx, "send")
            await hold_and_decide(addon, tctx, None)  # no answer: times out
            flows["json"] = await ask_dashboard(addon, "/stats.json?days=7")
            flows["page"] = await ask_dashboard(addon)

    flows: dict[str, http.HTTPFlow] = {}
    asyncio.run(session())
    figures = json.loads(body_of(flows["json"]))
    assert figures["totals"]["draft_checked"] == 5
    assert figures["totals"]["warning_shown"] == 4
    assert figures["totals"]["hold"] == 4
    assert (
        figures["totals"]["edited"],
        figures["totals"]["sent_anyway"],
        figures["totals"]["timed_out"],
    ) == (2, 1, 1)
    assert figures["revised_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert figures["rules"]["PP201"] == 4
    assert figures["rule_names"]["PP201"] == "unsolicited-pitch-reply"
    # Jordan's post asks for recommendations about a bakery website: what the user offers.
    assert figures["totals"]["opportunity"] == 1
    page = text_of(flows["page"])
    shown = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))
    assert shown["revised_share"] == "67%"
    assert shown["hold"] == "4"
    # Counts only: no draft text went into the stats file.
    stored = (tmp_path / "data" / "stats.sqlite3").read_bytes()
    assert b"bakeries" not in stored
    assert b"Lovely weather" not in stored
    kept = (tmp_path / "data" / "opportunities.sqlite3").read_bytes()
    assert b"1790000000000000300" in kept
    assert b"ordering online" not in kept


def test_not_push_overrides_are_counted(tmp_path: Path) -> None:
    from endpoint_state import BareEndpointState, config_in
    from mitmproxy.test import tutils
    from pullcheck.engine import Engine
    from pullcheck.proxy.control import handle
    from pullcheck.proxy.tally import ProxyTally
    from pullcheck.rulebook import builtin_pack

    home = "http://127.0.0.1:8123"
    tally = ProxyTally.in_data_dir(tmp_path / "data")
    state = BareEndpointState(
        engine=Engine(builtin_pack()), config=config_in(tmp_path), tally=tally
    )
    request = tutils.treq(
        method=b"POST",
        scheme=b"http",
        host="127.0.0.1",
        port=8123,
        path=b"/__pullcheck__/notpush",
        headers=[(b"content-type", b"application/json")],
        content=json.dumps(
            {"code": "PP201", "recipient": "@jordan_bakes", "reason": "she asked me"}
        ).encode(),
    )
    request.headers["origin"] = home
    request.headers["sec-fetch-site"] = "same-origin"
    request.headers["x-pullcheck-token"] = state.pages.issue(home)
    flow = tflow.tflow(req=request)
    flow.response = None
    asyncio.run(handle(flow, state))
    assert answer(flow).status_code == 200
    summary = tally.stats.summary(days=1)
    tally.close()
    assert summary.totals["notpush"] == 1
    assert b"she asked me" not in (tmp_path / "data" / "stats.sqlite3").read_bytes()


def live_check(token: str, text: str) -> http.HTTPFlow:
    """What the banner sends at a pause while a reply is typed on x.com."""
    body = {
        "text": text,
        "kind": "reply",
        "platform": "x",
        "reply_to_id": PITCH_BODY["variables"]["reply"]["in_reply_to_tweet_id"],
    }
    return tflow.tflow(
        req=http.Request.make(
            "POST",
            "https://x.com/__pullcheck__/check",
            json.dumps(body).encode(),
            http.Headers(
                content_type="application/json",
                origin="https://x.com",
                sec_fetch_site="same-origin",
                x_pullcheck_token=token,
            ),
        )
    )


def test_live_checks_count_once_per_draft_and_the_send_joins_its_draft(tmp_path: Path) -> None:
    pitch = PITCH_BODY["variables"]["tweet_text"]
    calm = "Congrats on the new shop, the window display looks lovely"

    async def session() -> None:
        with proxy(tmp_path, pullcheck_hold_timeout=5) as (addon, tctx):
            token = state_of(addon).pages.issue("https://x.com")
            for size in range(10, len(pitch) + 10, 10):  # a pause every ten characters
                check = live_check(token, pitch[:size])
                await addon.request(check)
                levels.append(json.loads(body_of(check))["verdict"]["level"])
            await hold_and_decide(addon, tctx, "edit")  # the reply typed above, sent
            for size in range(10, len(calm) + 10, 10):  # a second draft, never sent
                await addon.request(live_check(token, calm[:size]))
            assert state_of(addon).recorder.flush()
            flows["json"] = await ask_dashboard(addon, "/stats.json?days=1")

    flows: dict[str, http.HTTPFlow] = {}
    levels: list[str] = []
    asyncio.run(session())
    assert levels.count("warning") + levels.count("error") >= 6  # many live warnings shown
    totals = json.loads(body_of(flows["json"]))["totals"]
    assert (totals["draft_checked"], totals["warning_shown"], totals["hold"]) == (2, 1, 1)
