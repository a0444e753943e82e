"""The Bluesky SDK (`atproto`) through pullcheck: what it posts is recognised and a flagged reply
is held, refused with the reason, or sent once (see client_harness.py and client_contract.py)."""

from __future__ import annotations

import pytest
from client_contract import HeldReplyContract
from client_harness import HOLDS_WAIT, ClientRig
from client_sites import BLUESKY_FRIEND, BLUESKY_PARENT, bluesky_routes

pytestmark = pytest.mark.timeout(120)
DRIVER = "drive_bluesky.py"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = ClientRig(tmp_path_factory.mktemp("bluesky"), bluesky_routes(), HOLDS_WAIT)
    yield rig
    rig.close()


def test_a_post_is_recognised_with_its_text(rig):
    outcome = rig.run(DRIVER, "post", "Lovely sunset over the harbour tonight")
    assert outcome.ok, outcome.result
    judged = rig.judged("sunset over the harbour")
    assert (judged["platform"], judged["kind"]) == ("bluesky", "post")
    assert judged["text"] == "Lovely sunset over the harbour tonight"
    assert judged["origin"] == "https://bsky.social"
    assert judged["held"] is False


def test_a_reply_is_recognised_with_the_post_it_answers(rig):
    outcome = rig.run(
        DRIVER, "reply", "What a lovely photo, thanks for sharing", target=BLUESKY_PARENT
    )
    assert outcome.ok, outcome.result
    judged = rig.judged("lovely photo")
    assert (judged["platform"], judged["kind"]) == ("bluesky", "reply")
    assert judged["text"] == "What a lovely photo, thanks for sharing"
    assert judged["reply_to"] == BLUESKY_PARENT


def test_a_dm_is_recognised_with_its_recipient(rig):
    outcome = rig.run(DRIVER, "dm", "See you on Friday for lunch", recipient=BLUESKY_FRIEND)
    assert outcome.ok, outcome.result
    judged = rig.judged("Friday for lunch")
    assert (judged["platform"], judged["kind"]) == ("bluesky", "dm")
    assert judged["text"] == "See you on Friday for lunch"
    # The message names a conversation; its members came from getConvoForMembers, and the
    # signed-in account (the token's subject) is not a recipient.
    assert judged["recipients"] == [BLUESKY_FRIEND]


class TestHeldReply(HeldReplyContract):
    driver = DRIVER
    action = "reply"
    target = BLUESKY_PARENT
    path = "/xrpc/com.atproto.repo.createRecord"
    dm_recipient = BLUESKY_FRIEND
    dm_path = "/xrpc/chat.bsky.convo.sendMessage"
    platform = "bluesky"
    edit_error_types = ("atproto_client.exceptions.BadRequestError",)
