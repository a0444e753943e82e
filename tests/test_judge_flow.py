"""JudgeFlow without mitmproxy running: a compose request in, a Judged (or None: goes on) out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from pullcheck.engine import Engine
from pullcheck.proxy.judge_flow import JudgeFlow
from pullcheck.proxy.state import ProxyState
from pullcheck.sites import ADAPTERS_BY_NAME
from x_samples import PITCH_TEXT

X = ADAPTERS_BY_NAME["x"]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyState]:
    folder: Path = tmp_path_factory.mktemp("judge-flow")
    (folder / "config.yaml").write_text("mode: warn\n")
    state = ProxyState.open(folder / "config.yaml", folder / "data", 1 << 20)
    yield state
    state.close()


@pytest.fixture
def judge_flow() -> Iterator[JudgeFlow]:
    service = JudgeFlow()
    yield service
    service.close()


def create_tweet(text: str) -> http.Request:
    """A reply on X (a pitch in a reply to a stranger is what the rules flag)."""
    reply = {"in_reply_to_tweet_id": "1790000000000000200", "exclude_reply_user_ids": []}
    body = {"variables": {"tweet_text": text, "reply": reply}, "queryId": "SiM_cAu83R0wnrpmKQQSEw"}
    return http.Request.make(
        "POST",
        "https://x.com/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/CreateTweet",
        json.dumps(body).encode(),
        http.Headers(content_type="application/json", origin="https://x.com"),
    )


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_a_pitch_is_judged_and_its_verdict_reaches_the_page(state, judge_flow) -> None:
    judged = run(judge_flow.judge(create_tweet(PITCH_TEXT), state, X))
    assert judged is not None
    assert judged.verdict.findings
    events = state.feed.events_after("https://x.com", 0)
    assert events[-1]["id"] == judged.verdict_id
    assert events[-1]["complete"] is True


def test_a_body_over_the_limit_goes_on_unjudged(state, judge_flow) -> None:
    request = create_tweet("x" * 2_000_000)
    assert run(judge_flow.judge(request, state, X)) is None


def test_a_request_that_is_not_a_draft_goes_on_unjudged(state, judge_flow) -> None:
    request = http.Request.make("POST", "https://x.com/i/api/1.1/jot/client_event.json", b"a=1")
    assert run(judge_flow.judge(request, state, X)) is None


def test_a_judgement_over_budget_goes_on_and_the_page_hears_why(
    state, judge_flow, monkeypatch
) -> None:
    real = Engine.judge_fully

    def slow(self: Engine, draft: Any, now: float | None = None) -> Any:
        time.sleep(0.3)
        return real(self, draft, now)

    monkeypatch.setattr(Engine, "judge_fully", slow)
    judge_flow.budget_s = 0.05
    assert run(judge_flow.judge(create_tweet(PITCH_TEXT), state, X)) is None
    last = state.feed.events_after("https://x.com", 0)[-1]
    assert last["complete"] is False
    assert "longer than 50 ms" in last["reason"]


def test_a_judged_request_is_kept_until_its_answer_and_handed_over_once(state, judge_flow) -> None:
    judged = run(judge_flow.judge(create_tweet(PITCH_TEXT), state, X))
    judge_flow.remember("flow-1", judged)
    assert judge_flow.in_flight("flow-1") is judged
    assert judge_flow.take("flow-1") is judged
    assert judge_flow.take("flow-1") is None


def test_requests_whose_answer_never_comes_are_forgotten_oldest_first(
    state, judge_flow, monkeypatch
) -> None:
    monkeypatch.setattr("pullcheck.proxy.judge_flow.MAX_IN_FLIGHT", 2)
    judged = run(judge_flow.judge(create_tweet(PITCH_TEXT), state, X))
    for flow_id in ("first", "second", "third"):
        judge_flow.remember(flow_id, judged)
    assert judge_flow.in_flight("first") is None
    assert judge_flow.in_flight("second") is judged
    assert judge_flow.in_flight("third") is judged
