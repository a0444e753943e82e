"""X adapter: every X fixture's `expected` block, plus the operations without a fixture."""

from __future__ import annotations

import json

import pytest
from mitmproxy import http
from pullcheck.memory import Memory
from pullcheck.proxy.accepted import site_accepted
from pullcheck.sites import adapter_for_request
from pullcheck.sites.x import ADAPTER, FAILURE
from site_fixtures import (
    check_compose,
    check_harvest,
    composed,
    fixture_names,
    harvested,
    load,
    request_of,
    response_of,
    to_request,
)

# A signed-in browser sends the `twid` cookie with every request; it names the user.
COOKIE = "guest_id=v1%3A1; twid=u%3D1600000000000000001; ct0=abc"


@pytest.mark.parametrize("name", fixture_names("x", "outgoing_request"))
def test_compose_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    request = request_of(fixture, cookie=COOKIE)
    assert adapter_for_request(request) is ADAPTER
    compose = ADAPTER.compose(request)
    assert compose is not None
    check_compose(compose, compose.draft, fixture["expected"])


@pytest.mark.parametrize("name", fixture_names("x", "incoming_response"))
def test_read_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    response = response_of(fixture)
    assert adapter_for_request(response.request) is ADAPTER
    check_harvest(ADAPTER.harvest(response), fixture["expected"])


def test_operation_is_matched_by_name_whatever_the_query_id() -> None:
    fixture = load("x_create_tweet_post.json")
    spec = dict(fixture["request"])
    spec["url"] = "https://x.com/i/api/graphql/ROTATED-id_123/CreateTweet"
    assert ADAPTER.compose(to_request(spec)) is not None
    spec["url"] = "https://api.x.com/graphql/another/CreateTweet"
    assert ADAPTER.compose(to_request(spec)) is not None
    spec["url"] = "https://x.com/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/FavoriteTweet"
    assert ADAPTER.compose(to_request(spec)) is None


def test_xchat_recipient_comes_from_memory_when_the_cookie_is_missing() -> None:
    memory = Memory()
    notifications = response_of(load("x_read_notifications_follow_response.json"))
    memory.remember("x", harvested(ADAPTER, notifications))  # names the viewer: the user
    compose = ADAPTER.compose(request_of(load("x_dm_xchat_send_encrypted.json")))
    assert compose is not None
    draft = memory.enrich("x", compose, now=1777883100 + 60)
    assert draft.recipients == ["1600000000000000003"]
    assert draft.text_available is False
    assert draft.recipient_is_new_follower is True


def test_reply_gets_parent_author_and_text_from_seen_posts() -> None:
    memory = Memory()
    memory.remember(
        "x", harvested(ADAPTER, response_of(load("x_read_home_timeline_response.json")))
    )
    compose = composed(ADAPTER, request_of(load("x_create_tweet_reply.json")))
    draft = memory.enrich("x", compose)
    assert draft.reply_to is not None
    assert draft.reply_to.author == "jordan_bakes"
    assert draft.reply_to.text == "Sourdough day! First batch out of the oven at 6am."


def test_variables_sent_as_a_json_string_are_read() -> None:
    fixture = load("x_create_tweet_post.json")
    body = json.loads(fixture["request"]["body"])
    body["variables"] = json.dumps(body["variables"])
    spec = {**fixture["request"], "body": json.dumps(body)}
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.text == fixture["expected"]["text"]


def test_draft_text_that_is_itself_json_is_kept_verbatim() -> None:
    fixture = load("x_create_tweet_post.json")
    body = json.loads(fixture["request"]["body"])
    body["variables"]["tweet_text"] = "[1, 2, 3]"
    compose = ADAPTER.compose(to_request({**fixture["request"], "body": json.dumps(body)}))
    assert compose is not None
    assert compose.draft.text == "[1, 2, 3]"


def test_typed_mentions_are_mentions() -> None:
    fixture = load("x_create_tweet_post.json")
    body = json.loads(fixture["request"]["body"])
    body["variables"]["tweet_text"] = "Hey @jordan_bakes and @sam_rivera, mail me at a@b.example"
    compose = ADAPTER.compose(to_request({**fixture["request"], "body": json.dumps(body)}))
    assert compose is not None
    assert compose.draft.mentions == ["jordan_bakes", "sam_rivera"]


def _graphql(operation: str, variables: dict) -> dict:
    return {
        "method": "POST",
        "url": f"https://x.com/i/api/graphql/q1d/{operation}",
        "headers": {"content-type": "application/json", "cookie": COOKIE},
        "body": json.dumps({"variables": variables, "queryId": "q1d"}),
    }


def test_scheduled_reply() -> None:
    spec = _graphql(
        "CreateScheduledTweet",
        {
            "post_tweet_request": {
                "status": "Later: see my shop",
                "in_reply_to_status_id": "42",
                "auto_populate_reply_metadata": True,
                "media_ids": [],
            },
            "execute_at": 1777900000,
        },
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "reply"
    assert compose.draft.reply_to is not None
    assert compose.draft.reply_to.id == "42"
    assert compose.draft.text == "Later: see my shop"


def test_graphql_dm_mutation_names_its_participants() -> None:
    spec = _graphql(
        "useSendMessageMutation",
        {
            "message": {"text": {"text": "hello there"}},
            "requestId": "r1",
            "target": {"participant_ids": ["1600000000000000001", "1600000000000000009"]},
        },
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "dm"
    assert compose.draft.recipients == ["1600000000000000009"]  # the sender is left out
    assert compose.sender == "1600000000000000001"


def test_thread_continuation_is_a_reply() -> None:
    spec = _graphql(
        "CreateTweet",
        {
            "tweet_text": "2/ more",
            "batch_compose": "BatchSubsequent",
            "reply": {"in_reply_to_tweet_id": "77", "exclude_reply_user_ids": []},
        },
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "reply"


def test_a_held_graphql_post_is_refused_the_way_x_refuses_a_mutation() -> None:
    # HTTP 200 with `errors` and empty `data`, like X's "Status is a duplicate" (code 187):
    # the web client shows its error and keeps the draft; the browser logs no failed request.
    compose = ADAPTER.compose(request_of(load("x_create_tweet_reply.json"), cookie=COOKIE))
    assert compose is not None
    assert compose.failure is FAILURE
    assert FAILURE.status == 200
    document = json.loads(FAILURE.body)
    assert document["data"] == {}
    assert document["errors"][0]["message"].startswith("Not sent: held by pullcheck")
    assert FAILURE.headers["content-type"].startswith("application/json")
    response = http.Response.make(FAILURE.status, FAILURE.body, dict(FAILURE.headers))
    assert not site_accepted(response)  # never logged as sent


def test_a_held_rest_dm_is_refused_with_an_error_status() -> None:
    compose = ADAPTER.compose(request_of(load("x_dm_new2_conversation.json"), cookie=COOKIE))
    assert compose is not None
    assert 400 <= compose.failure.status < 500
    message = json.loads(compose.failure.body)["errors"][0]["message"]
    assert message.startswith("Not sent: held by pullcheck")


def test_reads_and_other_methods_are_not_compose() -> None:
    fixture = load("x_read_tweet_detail_response.json")
    assert ADAPTER.compose(to_request(fixture["request"])) is None
