"""Mastodon adapter: every Mastodon fixture, the three body encodings, edits, streaming."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from pullcheck.memory import Memory
from pullcheck.sites import adapter_for_request
from pullcheck.sites.mastodon import ADAPTER, FAILURE
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


@pytest.mark.parametrize("name", fixture_names("mastodon", "outgoing_request"))
def test_compose_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    request = request_of(fixture)
    # mastodon.example is no listed instance: the API path is matched on any host.
    assert adapter_for_request(request) is ADAPTER
    compose = composed(ADAPTER, request)
    check_compose(compose, compose.draft, fixture["expected"])


@pytest.mark.parametrize("name", fixture_names("mastodon", "incoming_response"))
def test_read_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    response = response_of(fixture)
    assert adapter_for_request(response.request) is ADAPTER
    check_harvest(ADAPTER.harvest(response), fixture["expected"])


def test_streaming_frame_is_decoded_twice() -> None:
    fixture = load("mastodon_read_streaming_ws_frame.json")
    check_harvest(ADAPTER.harvest_websocket(fixture["frame"]["body"]), fixture["expected"])


def test_streaming_follow_notification_is_a_new_follower() -> None:
    account = {"id": "9", "acct": "kim@example.social", "username": "kim"}
    payload = {
        "id": "1",
        "type": "follow",
        "created_at": "2026-05-04T09:00:00Z",
        "account": account,
    }
    frame = json.dumps(
        {"stream": ["user"], "event": "notification", "payload": json.dumps(payload)}
    )
    harvest = ADAPTER.harvest_websocket(frame)
    assert harvest is not None
    assert [(f.id, f.handle) for f in harvest.new_followers] == [("9", "kim@example.social")]


def test_streaming_delete_and_garbage_are_ignored() -> None:
    assert ADAPTER.harvest_websocket('{"event":"delete","payload":"123"}') is None
    assert ADAPTER.harvest_websocket("not json") is None
    assert ADAPTER.harvest_websocket("") is None


def _status_request(method: str, path: str, body: bytes, content_type: str) -> dict:
    return {
        "method": method,
        "url": f"https://hachyderm.io{path}",
        "headers": {"content-type": content_type},
        "body": body.decode(),
    }


def test_multipart_status_with_media_and_a_reply() -> None:
    boundary = "----formdataBoundaryX7"
    parts = [
        ("status", "@kim@example.social Hi! See https://shop.example"),
        ("in_reply_to_id", "111"),
        ("media_ids[]", "5"),
        ("visibility", "public"),
    ]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    spec = _status_request(
        "POST", "/api/v1/statuses", body, f"multipart/form-data; boundary={boundary}"
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "reply"
    assert compose.draft.text == "@kim@example.social Hi! See https://shop.example"
    assert compose.draft.reply_to is not None
    assert compose.draft.reply_to.id == "111"
    assert compose.draft.mentions == ["kim@example.social"]


def test_edit_is_a_put_with_the_same_fields() -> None:
    body = urlencode({"status": "Edited: now 30% off", "spoiler_text": "Ad"}).encode()
    spec = _status_request(
        "PUT", "/api/v1/statuses/113456789012345678", body, "application/x-www-form-urlencoded"
    )
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.operation == "statuses.edit"
    # The content warning is user text too.
    assert compose.draft.text == "Ad\n\nEdited: now 30% off"
    assert "113456789012345678" in compose.draft.context


def test_direct_message_to_several_people_lists_them_all() -> None:
    body = json.dumps({"status": "@a @b@x.example @c@y.example buy now", "visibility": "direct"})
    spec = _status_request("POST", "/api/v1/statuses", body.encode(), "application/json")
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.recipients == ["a", "b@x.example", "c@y.example"]


def test_email_addresses_and_urls_are_not_mentions() -> None:
    body = json.dumps(
        {"status": "mail me@shop.example or https://x.example/@kim", "visibility": "public"}
    )
    spec = _status_request("POST", "/api/v1/statuses", body.encode(), "application/json")
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.mentions == []


def test_same_path_without_a_status_body_is_not_mastodon() -> None:
    spec = _status_request("POST", "/api/v1/statuses", b'{"order": 5}', "application/json")
    assert ADAPTER.compose(to_request(spec)) is None


def test_dm_to_a_new_follower_is_flagged_as_such() -> None:
    memory = Memory()
    notifications = response_of(load("mastodon_read_notifications_v1_response.json"))
    memory.remember("mastodon", harvested(ADAPTER, notifications))
    compose = composed(ADAPTER, request_of(load("mastodon_status_create_direct.json")))
    draft = memory.enrich("mastodon", compose, now=1777885500 + 120)
    assert draft.recipient_is_new_follower is True


def test_boost_keeps_the_original_post_only() -> None:
    response = response_of(load("mastodon_read_home_timeline_response.json"))
    harvest = ADAPTER.harvest(response)
    assert harvest is not None
    assert "113456789012345800" not in {p.id for p in harvest.posts}


def test_conversations_list_gives_members_and_who_wrote() -> None:
    account = {"id": "3", "acct": "sam@social.example"}
    status = {
        "id": "9",
        "content": "<p>hi</p>",
        "visibility": "direct",
        "account": account,
        "in_reply_to_id": None,
    }
    body = json.dumps([{"id": "c1", "unread": False, "accounts": [account], "last_status": status}])
    response = response_of(
        {
            "request": {"method": "GET", "url": "https://mastodon.example/api/v1/conversations"},
            "response": {
                "status": 200,
                "body": body,
                "headers": {"content-type": "application/json"},
            },
        }
    )
    harvest = ADAPTER.harvest(response)
    assert harvest is not None
    assert harvest.conversations == {"c1": ["sam@social.example"]}
    memory = Memory()
    memory.remember("mastodon", harvest)
    compose = composed(ADAPTER, request_of(load("mastodon_status_create_direct.json")))
    assert memory.enrich("mastodon", compose).prior_conversation is True


def test_failure_is_a_refusal_with_an_error_message() -> None:
    assert FAILURE.status == 422
    assert "pullcheck" in json.loads(FAILURE.body)["error"]
