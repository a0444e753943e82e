"""harvest_flow without mitmproxy running: what a site's answer to a judged send records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mitmproxy import http
from pullcheck.models import Draft, Verdict
from pullcheck.proxy.harvest_flow import record_if_accepted, worth_reading
from pullcheck.proxy.judge_flow import Judged
from pullcheck.proxy.state import ProxyState
from pullcheck.sites.wire import Compose, FailureResponse

JSON = "application/json"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[ProxyState]:
    (tmp_path / "config.yaml").write_text("mode: warn\n")
    state = ProxyState.open(tmp_path / "config.yaml", tmp_path / "data", 1 << 20)
    yield state
    state.close()


def judged(may_store: bool = True) -> Judged:
    draft = Draft(platform="x", kind="post", text="Thanks, that thread on sourdough helped a lot")
    return Judged(
        verdict_id="v1",
        platform="x",
        origin="https://x.com",
        compose=Compose("CreateTweet", draft, [], FailureResponse(403, {}, b"")),
        draft=draft,
        verdict=Verdict(),
        may_store=may_store,
    )


def sent_after(state: ProxyState, status: int, body: object, may_store: bool = True) -> int:
    response = http.Response.make(status, json.dumps(body).encode(), {"content-type": JSON})
    record_if_accepted(state, judged(may_store), response, JSON)
    assert state.recorder is not None
    assert state.recorder.flush(10)
    return len(state.sent_log)


def test_a_send_the_site_accepted_enters_the_sent_log(state: ProxyState) -> None:
    assert sent_after(state, 200, {"data": {"create_tweet": {}}}) == 1


def test_a_send_the_site_refused_in_graphql_errors_is_not_logged(state: ProxyState) -> None:
    assert sent_after(state, 200, {"errors": [{"message": "Authorization"}]}) == 0


def test_a_send_over_the_untrusted_write_rate_is_not_logged(state: ProxyState) -> None:
    assert sent_after(state, 200, {"data": {}}, may_store=False) == 0


@pytest.mark.parametrize(
    ("status", "content_type", "worth"),
    [
        (200, "application/json; charset=utf-8", True),
        (200, "text/html", True),
        (404, "application/json", False),
        (200, "image/png", False),
        (200, "text/css", False),
        (200, "application/javascript", False),
    ],
)
def test_only_a_2xx_answer_that_is_not_a_static_asset_is_read(
    status: int, content_type: str, worth: bool
) -> None:
    response = http.Response.make(status, b"", {"content-type": content_type})
    assert worth_reading(response, content_type) is worth
