"""LinkedIn adapter: every LinkedIn fixture; operation names, not rotating hashes."""

from __future__ import annotations

import json

import pytest
from pullcheck.sites import adapter_for_request
from pullcheck.sites.linkedin import ADAPTER, FAILURE
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


@pytest.mark.parametrize("name", fixture_names("linkedin", "outgoing_request"))
def test_compose_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    expected = dict(fixture["expected"])
    if fixture["operation"] == "connection_request_with_note":
        # The fixture calls it a DM; the shared Draft has a kind of its own for it.
        assert expected.pop("kind") == "dm"
        expected["kind"] = "connect-note"
    request = request_of(fixture)
    assert adapter_for_request(request) is ADAPTER
    compose = composed(ADAPTER, request)
    check_compose(compose, compose.draft, expected)


@pytest.mark.parametrize("name", fixture_names("linkedin", "incoming_response"))
def test_read_fixture_matches_expected(name: str) -> None:
    fixture = load(name)
    response = response_of(fixture)
    assert adapter_for_request(response.request) is ADAPTER
    check_harvest(ADAPTER.harvest(response), fixture["expected"])


def test_other_graphql_queries_are_not_posts() -> None:
    spec = dict(load("linkedin_create_post_graphql.json")["request"])
    spec["url"] = (
        "https://www.linkedin.com/voyager/api/graphql?action=execute&queryId="
        "voyagerFeedDashReactions.abc"
    )
    assert ADAPTER.compose(to_request(spec)) is None
    spec["url"] = (
        "https://www.linkedin.com/voyager/api/graphql?action=execute&queryId="
        "voyagerContentcreationDashShares.0000rotated"
    )
    assert ADAPTER.compose(to_request(spec)) is not None


def test_new_conversation_is_a_first_contact() -> None:
    compose = ADAPTER.compose(request_of(load("linkedin_message_create_new_conversation.json")))
    assert compose is not None
    assert compose.draft.prior_conversation is False
    assert compose.sender == "urn:li:fsd_profile:ACoAAAcmeWebworks00000000000"


def test_sdui_comment_without_binding_takes_the_longest_string_state() -> None:
    body = {
        "serverRequest": {"requestedArguments": {"payload": {}}},
        "states": [
            {"key": "x", "value": "short", "originalProtoCase": "stringValue"},
            {
                "key": "y",
                "value": "the much longer comment text",
                "originalProtoCase": "stringValue",
            },
        ],
    }
    spec = {
        "method": "POST",
        "url": "https://www.linkedin.com/flagship-web/rsc-action/actions/"
        "server-request?sduiid=com.linkedin.sdui.comments.createComment",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.draft.text == "the much longer comment text"


def test_invite_without_a_note_is_no_draft() -> None:
    spec = dict(load("linkedin_connect_invite_with_note.json")["request"])
    spec["body"] = json.dumps({"invitee": {"inviteeUnion": {"memberProfile": "urn:li:x"}}})
    assert ADAPTER.compose(to_request(spec)) is None


def test_mentions_in_attributes_are_profile_urns() -> None:
    fixture = load("linkedin_create_post_graphql.json")
    body = json.loads(fixture["request"]["body"])
    body["variables"]["post"]["commentary"]["attributesV2"] = [
        {
            "start": 0,
            "length": 3,
            "detailData": {"profileMention": {"profile": "urn:li:fsd_profile:ACoAAJordan"}},
        }
    ]
    compose = ADAPTER.compose(to_request({**fixture["request"], "body": json.dumps(body)}))
    assert compose is not None
    assert compose.draft.mentions == ["urn:li:fsd_profile:ACoAAJordan"]


def test_existing_conversation_reply_in_legacy_events_path() -> None:
    body = {
        "eventCreate": {
            "value": {
                "com.linkedin.voyager.messaging.create.MessageCreate": {
                    "attributedBody": {"text": "following up", "attributes": []},
                    "attachments": [],
                }
            }
        }
    }
    spec = {
        "method": "POST",
        "url": "https://www.linkedin.com/voyager/api/messaging/"
        "conversations/2-abc/events?action=create",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
    compose = ADAPTER.compose(to_request(spec))
    assert compose is not None
    assert compose.conversation_ids == ["2-abc"]
    assert compose.draft.text == "following up"


def test_failure_is_a_restli_error() -> None:
    document = json.loads(FAILURE.body)
    assert FAILURE.status == document["status"] == 422


def test_messenger_conversations_give_members_for_an_existing_thread() -> None:
    from pullcheck.memory import Memory

    me = "urn:li:fsd_profile:ACoAAAcmeWebworks00000000000"
    sam = "urn:li:fsd_profile:ACoAASamRivera00000000000000"
    conversation = f"urn:li:msg_conversation:({me},2-ZmFrZS1jb252ZXJzYXRpb24taWQtMDAx)"
    body = {
        "data": {
            "messengerConversationsBySyncToken": {
                "elements": [
                    {
                        "entityUrn": conversation,
                        "conversationParticipants": [
                            {"hostIdentityUrn": me},
                            {"hostIdentityUrn": sam},
                        ],
                    }
                ]
            }
        }
    }
    spec = {
        "request": {
            "method": "GET",
            "url": "https://www.linkedin.com/voyager/api/"
            "voyagerMessagingGraphQL/graphql?queryId=messengerConversations.abc",
        },
        "response": {"status": 200, "headers": {}, "body": json.dumps(body)},
    }
    harvest = ADAPTER.harvest(response_of(spec))
    assert harvest is not None
    assert harvest.conversations == {conversation: [me, sam]}
    memory = Memory()
    memory.remember("linkedin", harvest)
    compose = composed(
        ADAPTER, request_of(load("linkedin_message_create_existing_conversation.json"))
    )
    draft = memory.enrich("linkedin", compose)
    assert draft.recipients == [sam]
    assert draft.prior_conversation is True
