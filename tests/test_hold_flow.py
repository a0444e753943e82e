"""HoldFlow without mitmproxy running: a held request's fate on the HoldRequest/Response seam."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from pullcheck.models import Draft, Verdict
from pullcheck.proxy.hold_flow import HoldFlow, HoldRequest
from pullcheck.proxy.holds import HoldRegistry
from pullcheck.proxy.judge_flow import Judged
from pullcheck.proxy.state import ProxyState
from pullcheck.sites.wire import Compose, FailureResponse

ORIGIN = "https://x.com"
FAILURE = FailureResponse(403, {"content-type": "application/json"}, b'{"errors":[]}')


@pytest.fixture(scope="module")
def shared_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyState]:
    folder: Path = tmp_path_factory.mktemp("hold-flow")
    (folder / "config.yaml").write_text("mode: hold\nholds:\n  without_page: wait\n")
    state = ProxyState.open(folder / "config.yaml", folder / "data", 1 << 20)
    yield state
    state.close()


@pytest.fixture
def state(shared_state: ProxyState) -> ProxyState:
    shared_state.holds = HoldRegistry()  # no hold carries over from another test
    return shared_state


def judged() -> Judged:
    draft = Draft(platform="x", kind="post", text="DM me for 20% off our web design packages")
    return Judged(
        verdict_id="v1",
        platform="x",
        origin=ORIGIN,
        compose=Compose("CreateTweet", draft, [], FAILURE),
        draft=draft,
        verdict=Verdict(level="error", score=90),
    )


def ask(flow_id: str = "flow-1", client_id: str = "client-1") -> HoldRequest:
    return HoldRequest(
        flow_id=flow_id,
        client_id=client_id,
        client_ip="127.0.0.1",
        fingerprint="same-request",
        sent_from=ORIGIN,
        request_origin=ORIGIN,
        host="x.com",
        port=443,
    )


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


async def decided(
    state: ProxyState, hold_flow: HoldFlow, choice: str, *asks: HoldRequest
) -> list[http.Response | None]:
    """Hold `asks` (joined when they are the same request), then decide their hold."""
    waits = []
    for one in asks:
        waits.append(asyncio.create_task(hold_flow.hold(one, state, judged())))
        while len(hold_flow.waiting) < len(waits):
            await asyncio.sleep(0.01)
    (hold,) = state.holds.pending()
    assert state.holds.decide(hold.hold_id, choice)
    return list(await asyncio.gather(*waits))


def test_send_lets_the_request_go_upstream(state: ProxyState) -> None:
    (answer,) = run(decided(state, HoldFlow(), "send", ask()))
    assert answer is None


def test_edit_answers_with_the_sites_failure_response(state: ProxyState) -> None:
    (answer,) = run(decided(state, HoldFlow(), "edit", ask()))
    assert answer is not None
    assert answer.status_code == FAILURE.status


def test_a_joined_retry_gets_the_answer_to_the_one_send(state: ProxyState) -> None:
    hold_flow = HoldFlow()

    async def scenario() -> tuple[http.Response | None, http.Response | None]:
        sender = asyncio.create_task(hold_flow.hold(ask("flow-1"), state, judged()))
        retry = asyncio.create_task(hold_flow.hold(ask("flow-2"), state, judged()))
        while len(hold_flow.waiting) < 2:
            await asyncio.sleep(0.01)
        (hold,) = state.holds.pending()
        assert state.holds.decide(hold.hold_id, "send")
        went_upstream = await sender
        hold_flow.answered("flow-1", http.Response.make(200, b'{"sent":1}'))
        return went_upstream, await retry

    sender, retry = run(scenario())
    assert sender is None
    assert retry is not None
    assert (retry.status_code, retry.content) == (200, b'{"sent":1}')


def test_a_hold_whose_only_client_disconnects_sends_nothing(state: ProxyState) -> None:
    hold_flow = HoldFlow()

    async def scenario() -> http.Response | None:
        wait = asyncio.create_task(hold_flow.hold(ask(), state, judged()))
        while not hold_flow.waiting:
            await asyncio.sleep(0.01)
        hold_flow.client_gone("client-1", state)
        return await wait

    answer = run(scenario())
    assert answer is not None
    assert answer.status_code == FAILURE.status
    assert state.holds.pending() == []


def test_without_an_open_page_a_reject_config_refuses_at_once(
    state: ProxyState, monkeypatch
) -> None:
    monkeypatch.setattr(state.config.holds, "without_page", "reject")
    answer = run(HoldFlow().hold(ask(), state, judged()))
    assert answer is not None
    assert answer.status_code == FAILURE.status
    assert state.holds.pending() == []


def test_a_refusal_counts_as_refused_not_as_a_hold(state: ProxyState, monkeypatch) -> None:
    monkeypatch.setattr(state.config.holds, "without_page", "reject")
    before = state.tally.stats.summary().totals
    run(HoldFlow().hold(ask(), state, judged()))
    after = state.tally.stats.summary().totals
    assert after["refused"] - before["refused"] == 1
    assert after["hold"] == before["hold"]
