"""Reddit adapter: every Reddit fixture; rich text, classic API, Matrix chat, shreddit HTML."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from pullcheck.memory import Memory
from pullcheck.sites import adapter_for_request
from pullcheck.sites.reddit import ADAPTER, FAILURE_API, FAILURE_MATRIX, FAILURE_WEB
from site_fixtures import (
    check_compose,
    check_harvest,
    composed,
    fixture_names,
    load,
    request_of,
    response_of,
    to_request,
)


@pytest.mark.parametrize("name", fixture_names("reddit", "outgoing_request"))
def test_compose_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    request = request_of(fixture)
    assert adapter_for_request(request) is ADAPTER
    compose = composed(ADAPTER, request)
    check_compose(compose, compose.draft, fixture["expected"])


@pytest.mark.parametrize("name", fixture_names("reddit", "incoming_response"))
def test_read_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    response = response_of(fixture)
    assert adapter_for_request(response.request) is ADAPTER
    check_harvest(ADAPTER.harvest(response), fixture["expected"])


def _shreddit(document: dict, mode: str = "richText") -> dict:
    return {
        "method": "POST",
        "url": "https://www.reddit.com/svc/shreddit/t1_abc12/create-comment",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "referer": "https://www.reddit.com/r/bakeries/comments/1/x/",
        },
        "body": urlencode({"content": json.dumps(document), "mode": mode, "csrf_token": "t"}),
    }


def test_rich_text_paragraphs_and_link_nodes() -> None:
    document = {
        "document": [
            {
                "e": "par",
                "c": [
                    {"e": "text", "t": "Try "},
                    {"e": "link", "t": "my shop", "u": "https://shop.example/deal"},
                ],
            },
            {"e": "par", "c": [{"e": "text", "t": "Second paragraph."}]},
        ]
    }
    compose = ADAPTER.compose(to_request(_shreddit(document)))
    assert compose is not None
    assert compose.draft.text == "Try my shop\n\nSecond paragraph."
    assert compose.draft.links == ["https://shop.example/deal"]
    assert compose.draft.reply_to is not None
    assert compose.draft.reply_to.id == "t1_abc12"
    assert compose.draft.context == "comment in r/bakeries"


def test_markdown_mode_sends_plain_text() -> None:
    spec = _shreddit({})
    spec["body"] = urlencode({"content": "plain **markdown**", "mode": "markdown"})
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.text == "plain **markdown**"


def test_reply_to_a_private_message_is_a_dm() -> None:
    spec = {
        "method": "POST",
        "url": "https://old.reddit.com/api/comment",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "body": urlencode({"thing_id": "t4_xyz", "text": "thanks", "uh": "m"}),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "dm"


def test_link_submission_carries_its_url() -> None:
    spec = {
        "method": "POST",
        "url": "https://oauth.reddit.com/api/submit",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "body": urlencode(
            {
                "sr": "smallbusiness",
                "kind": "link",
                "title": "Our new site",
                "url": "https://shop.example/",
            }
        ),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.text == "Our new site"
    assert compose.draft.links == ["https://shop.example/"]


def test_matrix_room_members_come_from_sync() -> None:
    room = "!AbCdEfGhIjKlMn:reddit.com"
    sync = {
        "rooms": {
            "join": {
                room: {
                    "state": {
                        "events": [
                            {
                                "type": "m.room.member",
                                "state_key": "@t2_me:reddit.com",
                                "content": {"membership": "join"},
                            },
                            {
                                "type": "m.room.member",
                                "state_key": "@t2_jordan:reddit.com",
                                "content": {"membership": "join"},
                            },
                        ]
                    },
                    "timeline": {
                        "events": [
                            {
                                "type": "m.room.message",
                                "sender": "@t2_jordan:reddit.com",
                                "content": {"body": "hi"},
                            }
                        ]
                    },
                }
            }
        }
    }
    spec = {
        "request": {
            "method": "GET",
            "url": "https://matrix.redditspace.com/_matrix/client/v3/sync",
        },
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(sync),
        },
    }
    harvest = ADAPTER.harvest(response_of(spec))
    assert harvest is not None
    assert harvest.conversations[room] == ["@t2_me:reddit.com", "@t2_jordan:reddit.com"]
    memory = Memory()
    memory.remember("reddit", harvest)
    compose = composed(ADAPTER, request_of(load("reddit_chat_matrix_send.json")))
    draft = memory.enrich("reddit", compose)
    assert "@t2_jordan:reddit.com" in draft.recipients
    assert draft.prior_conversation is True  # jordan wrote in it


def test_percent_encoded_room_id_is_decoded() -> None:
    spec = dict(load("reddit_chat_matrix_send.json")["request"])
    spec["url"] = (
        "https://matrix.redditspace.com/_matrix/client/v3/rooms/"
        "%21AbCdEfGhIjKlMn%3Areddit.com/send/m.room.message/m1"
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.conversation_ids == ["!AbCdEfGhIjKlMn:reddit.com"]


def test_nested_shreddit_comments_each_keep_their_own_text() -> None:
    page = (
        '<html><body><shreddit-comment thingid="t1_a" author="x" parentid="t3_p">'
        '<div slot="comment"><p>First &amp; best</p><p>two</p></div>'
        '<shreddit-comment thingid="t1_b" author="y" parentid="t1_a">'
        '<div slot="comment"><p>Reply<br>line</p></div></shreddit-comment>'
        "</shreddit-comment></body></html>"
    )
    spec = {
        "request": {"method": "GET", "url": "https://www.reddit.com/svc/shreddit/comments/x"},
        "response": {"status": 200, "headers": {"content-type": "text/html"}, "body": page},
    }
    harvest = ADAPTER.harvest(response_of(spec))
    assert harvest is not None
    texts = {p.id: (p.text, p.in_reply_to) for p in harvest.posts}
    assert texts == {"t1_a": ("First & best\n\ntwo", "t3_p"), "t1_b": ("Reply\nline", "t1_a")}


def test_failures_use_each_clients_error_shape() -> None:
    assert FAILURE_WEB.status >= 500
    assert json.loads(FAILURE_API.body)["json"]["errors"]
    assert FAILURE_MATRIX.status == 403
    assert json.loads(FAILURE_MATRIX.body)["errcode"] == "M_FORBIDDEN"
