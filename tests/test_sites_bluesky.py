"""Bluesky adapter: every Bluesky fixture; threads, quotes, chat recipients via memory."""

from __future__ import annotations

import json

import pytest
from pullcheck.memory import Memory
from pullcheck.sites import adapter_for_request
from pullcheck.sites.bluesky import ADAPTER, FAILURE
from site_fixtures import (
    check_compose,
    check_harvest,
    composed,
    fake_jwt,
    fixture_names,
    harvested,
    load,
    request_of,
    response_of,
    to_request,
)

ME = "did:plc:acmewebworks0000000000000"
# bsky.app sends the access token with every call; its `sub` claim is the user's DID.
AUTH = f"Bearer {fake_jwt(ME)}"


def _memory_with_convos() -> Memory:
    memory = Memory()
    listing = response_of(load("bluesky_read_chat_list_convos_response.json"), authorization=AUTH)
    memory.remember("bluesky", harvested(ADAPTER, listing))
    return memory


@pytest.mark.parametrize("name", fixture_names("bluesky", "outgoing_request"))
def test_compose_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    request = request_of(fixture, authorization=AUTH)
    assert adapter_for_request(request) is ADAPTER
    compose = ADAPTER.compose(request)
    assert compose is not None
    # Chat messages name a conversation; the recipient comes from the convo list read earlier.
    draft = _memory_with_convos().enrich("bluesky", compose)
    check_compose(compose, draft, fixture["expected"])


@pytest.mark.parametrize("name", fixture_names("bluesky", "incoming_response"))
def test_read_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    response = response_of(fixture)
    assert adapter_for_request(response.request) is ADAPTER
    check_harvest(ADAPTER.harvest(response), fixture["expected"])


def test_self_hosted_pds_is_matched_by_path() -> None:
    spec = dict(load("bluesky_create_record_post.json")["request"])
    spec["url"] = "https://pds.my-own.example/xrpc/com.atproto.repo.createRecord"
    request = to_request(spec)
    assert adapter_for_request(request) is ADAPTER
    assert ADAPTER.compose(request) is not None


def test_own_did_is_learned_from_the_repo_field_too() -> None:
    memory = Memory()
    memory.remember(
        "bluesky",
        harvested(ADAPTER, response_of(load("bluesky_read_chat_list_convos_response.json"))),
    )
    memory.enrich("bluesky", composed(ADAPTER, request_of(load("bluesky_create_record_post.json"))))
    draft = memory.enrich(
        "bluesky", composed(ADAPTER, request_of(load("bluesky_chat_send_message.json")))
    )
    assert draft.recipients == ["did:plc:samrivera000000000000000"]


def test_batch_reaches_every_conversation_known() -> None:
    memory = _memory_with_convos()
    memory.remember("bluesky", _convo_harvest("3lqconvoalex002", "did:plc:alex"))
    compose = composed(
        ADAPTER, request_of(load("bluesky_chat_send_message_batch.json"), authorization=AUTH)
    )
    draft = memory.enrich("bluesky", compose)
    assert draft.recipients == ["did:plc:samrivera000000000000000", "did:plc:alex"]
    assert "3 conversations" in draft.context


def _convo_harvest(convo_id: str, other: str):
    body = json.dumps(
        {
            "convos": [
                {"id": convo_id, "members": [{"did": ME}, {"did": other}], "status": "request"}
            ]
        }
    )
    spec = {
        "request": {
            "method": "GET",
            "url": "https://api.bsky.chat/xrpc/chat.bsky.convo.getConvoForMembers",
            "headers": {"authorization": AUTH},
        },
        "response": {"status": 200, "headers": {}, "body": body},
    }
    return ADAPTER.harvest(response_of(spec))


def test_thread_in_one_applywrites_only_first_post_is_a_reply() -> None:
    def create(text: str, reply_to: str | None) -> dict:
        value: dict[str, object] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2026-05-04T10:00:00Z",
        }
        if reply_to:
            ref = {"uri": reply_to, "cid": "c"}
            value["reply"] = {"root": ref, "parent": ref}
        return {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": "app.bsky.feed.post",
            "rkey": "k",
            "value": value,
        }

    body = {
        "repo": ME,
        "writes": [
            create("1/ intro", None),
            create("2/ details", "at://did:plc:acme/app.bsky.feed.post/self1"),
            {
                "$type": "com.atproto.repo.applyWrites#create",
                "collection": "app.bsky.feed.threadgate",
                "rkey": "k",
                "value": {"allow": []},
            },
        ],
        "validate": True,
    }
    spec = {
        "method": "POST",
        "url": "https://bsky.social/xrpc/com.atproto.repo.applyWrites",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "post"
    assert compose.draft.text == "1/ intro\n\n2/ details"
    assert "2 posts" in compose.draft.context


def test_quote_and_link_card() -> None:
    record = {
        "text": "look",
        "embed": {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"record": {"uri": "at://did:plc:j/app.bsky.feed.post/q1", "cid": "c"}},
        },
    }
    spec = {
        "method": "POST",
        "url": "https://bsky.social/xrpc/com.atproto.repo.createRecord",
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"repo": ME, "collection": "app.bsky.feed.post", "record": record}),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.kind == "quote"
    assert compose.draft.reply_to is not None
    assert compose.draft.reply_to.id == "at://did:plc:j/app.bsky.feed.post/q1"
    record = {
        "text": "new site",
        "embed": {"$type": "app.bsky.embed.external", "external": {"uri": "https://shop.example/"}},
    }
    spec["body"] = json.dumps({"repo": ME, "collection": "app.bsky.feed.post", "record": record})
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.links == ["https://shop.example/"]


def test_other_collections_are_not_posts() -> None:
    spec = {
        "method": "POST",
        "url": "https://bsky.social/xrpc/com.atproto.repo.createRecord",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {"repo": ME, "collection": "app.bsky.feed.like", "record": {"subject": {}}}
        ),
    }
    assert ADAPTER.compose(to_request(spec)) is None


def test_reply_parent_text_from_the_timeline() -> None:
    memory = Memory()
    memory.remember(
        "bluesky", harvested(ADAPTER, response_of(load("bluesky_read_get_timeline_response.json")))
    )
    draft = memory.enrich(
        "bluesky", composed(ADAPTER, request_of(load("bluesky_apply_writes_reply.json")))
    )
    assert draft.reply_to is not None
    assert draft.reply_to.text == "Sourdough day! First batch out of the oven at 6am."
    assert draft.reply_to.author == "jordanbakes.bsky.social"


def test_failure_is_an_xrpc_error() -> None:
    assert FAILURE.status == 400
    assert json.loads(FAILURE.body)["error"] == "InvalidRequest"


def test_quoted_post_inside_an_embed_is_remembered() -> None:
    quoted = {
        "$type": "app.bsky.embed.record#viewRecord",
        "uri": "at://did:plc:j/app.bsky.feed.post/q1",
        "cid": "c",
        "author": {"did": "did:plc:j", "handle": "j.bsky.social"},
        "value": {"$type": "app.bsky.feed.post", "text": "Who fixes ovens in Leeds?"},
    }
    post = {
        "uri": "at://did:plc:k/app.bsky.feed.post/p1",
        "cid": "c2",
        "author": {"did": "did:plc:k", "handle": "k.bsky.social"},
        "record": {"$type": "app.bsky.feed.post", "text": "this"},
        "embed": {"$type": "app.bsky.embed.record#view", "record": quoted},
    }
    spec = {
        "request": {"method": "GET", "url": "https://bsky.social/xrpc/app.bsky.feed.getPosts"},
        "response": {"status": 200, "headers": {}, "body": json.dumps({"posts": [post]})},
    }
    harvest = ADAPTER.harvest(response_of(spec))
    assert harvest is not None
    texts = {p.id: p.text for p in harvest.posts}
    assert texts["at://did:plc:j/app.bsky.feed.post/q1"] == "Who fixes ovens in Leeds?"


# -- a conversation nobody has written in yet is a new one ---------------------------------------
# bsky.app calls chat.bsky.convo.getConvoForMembers (which creates the convo) and then
# sendMessage: being seen must not make the first message a prior conversation.

NEW_CONVO = "3lqconvonew0001"
SAM = "did:plc:samrivera000000000000000"
PITCH = "Thanks for following! We build websites for bakeries, 20% off this week: acme.example"


def _send(memory: Memory, convo: str = NEW_CONVO, text: str = PITCH):
    body = json.dumps({"convoId": convo, "message": {"text": text}})
    spec = {
        "method": "POST",
        "url": "https://morel.us-east.host.bsky.network/xrpc/chat.bsky.convo.sendMessage",
        "headers": {
            "content-type": "application/json",
            "authorization": AUTH,
            "atproto-proxy": "did:web:api.bsky.chat#bsky_chat",
        },
        "body": body,
    }
    return memory.enrich("bluesky", composed(ADAPTER, to_request(spec)))


def _read(memory: Memory, name: str, body: str | None = None) -> None:
    fixture = load(name)
    if body is not None:
        fixture = {**fixture, "response": {**fixture["response"], "body": body}}
    memory.remember("bluesky", harvested(ADAPTER, response_of(fixture, authorization=AUTH)))


def test_first_message_into_a_new_convo_is_cold() -> None:
    memory = Memory()
    _read(memory, "bluesky_read_get_convo_for_members_new_response.json")
    draft = _send(memory)
    assert draft.recipients == [SAM]
    assert draft.prior_conversation is False


def test_cold_pitch_into_a_new_convo_is_flagged_by_the_engine() -> None:
    from pullcheck.engine import Engine
    from pullcheck.history import InMemorySentHistory
    from pullcheck.rulebook import builtin_pack

    memory = Memory()
    _read(memory, "bluesky_read_get_convo_for_members_new_response.json")
    verdict = Engine(builtin_pack(), history=InMemorySentHistory()).judge(_send(memory))
    assert "PP102" in {finding.code for finding in verdict.findings}


def test_an_empty_first_page_of_messages_makes_the_convo_new() -> None:
    memory = Memory()
    _read(
        memory,
        "bluesky_read_chat_list_convos_response.json",
        body=json.dumps(
            {
                "convos": [
                    {
                        "id": NEW_CONVO,
                        "rev": "1",
                        "members": [{"did": ME}, {"did": SAM}],
                        "lastMessage": None,
                        "muted": False,
                        "unreadCount": 0,
                    }
                ]
            }
        ),
    )
    _read(memory, "bluesky_read_get_messages_empty_response.json")
    assert _send(memory).prior_conversation is False


def test_an_empty_older_page_says_nothing_about_the_convo() -> None:
    fixture = load("bluesky_read_get_messages_empty_response.json")
    request = {**fixture["request"], "url": fixture["request"]["url"] + "&cursor=2222222222220"}
    harvest = ADAPTER.harvest(response_of({**fixture, "request": request}))
    assert harvest is None or harvest.empty_conversations == []


def test_a_convo_with_a_last_message_stays_a_prior_conversation() -> None:
    memory = _memory_with_convos()  # listConvos: 3lqconvosam0001 has a lastMessage
    assert _send(memory, convo="3lqconvosam0001").prior_conversation is True


def test_an_answer_in_the_log_makes_the_new_convo_a_conversation() -> None:
    memory = Memory()
    _read(memory, "bluesky_read_get_convo_for_members_new_response.json")
    assert _send(memory).prior_conversation is False
    _read(memory, "bluesky_read_get_log_response.json")  # Sam answered
    assert _send(memory, text="Great, here is the quote.").prior_conversation is True


def test_a_second_message_nobody_answered_is_still_cold() -> None:
    memory = Memory()
    _read(memory, "bluesky_read_get_convo_for_members_new_response.json")
    _send(memory)
    own = json.dumps(
        {
            "messages": [
                {
                    "$type": "chat.bsky.convo.defs#messageView",
                    "id": "m1",
                    "rev": "2",
                    "text": PITCH,
                    "sender": {"did": ME},
                    "sentAt": "2026-05-04T09:06:00.000Z",
                }
            ]
        }
    )
    _read(memory, "bluesky_read_get_messages_empty_response.json", body=own)
    assert _send(memory, text="Just following up on my offer!").prior_conversation is False


def test_an_empty_sighting_does_not_erase_a_known_history() -> None:
    memory = _memory_with_convos()
    fixture = load("bluesky_read_get_convo_for_members_new_response.json")
    document = json.loads(fixture["response"]["body"])
    document["convo"]["id"] = "3lqconvosam0001"
    _read(memory, "bluesky_read_get_convo_for_members_new_response.json", json.dumps(document))
    assert _send(memory, convo="3lqconvosam0001").prior_conversation is True
