"""tweepy (X API v2) through pullcheck: what it posts is recognised and a flagged reply is held,
refused with the reason, or sent once (see client_harness.py and client_contract.py).

Needs the X public API adapter (api.twitter.com: POST /2/tweets, POST
/2/dm_conversations/with/{participant_id}/messages), merged into main from the `xapi` branch.
"""

from __future__ import annotations

import pytest
from client_contract import HeldReplyContract
from client_harness import HOLDS_WAIT, ClientRig
from client_sites import X_FRIEND, X_PARENT, x_routes

pytestmark = pytest.mark.timeout(120)
DRIVER = "drive_x.py"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = ClientRig(tmp_path_factory.mktemp("x"), x_routes(), HOLDS_WAIT)
    yield rig
    rig.close()


def test_a_tweet_is_recognised_as_a_post_with_its_text(rig):
    outcome = rig.run(DRIVER, "post", "Lovely sunset over the harbour tonight")
    assert outcome.ok, outcome.result
    judged = rig.judged("sunset over the harbour")
    assert (judged["platform"], judged["kind"]) == ("x", "post")
    assert judged["text"] == "Lovely sunset over the harbour tonight"
    assert judged["origin"] == "https://api.twitter.com"
    assert judged["held"] is False


def test_a_reply_is_recognised_with_the_tweet_it_answers(rig):
    outcome = rig.run(DRIVER, "reply", "What a lovely photo, thanks for sharing", target=X_PARENT)
    assert outcome.ok, outcome.result
    judged = rig.judged("lovely photo")
    assert (judged["platform"], judged["kind"]) == ("x", "reply")
    assert judged["text"] == "What a lovely photo, thanks for sharing"
    assert judged["reply_to"] == X_PARENT


def test_a_direct_message_is_recognised_with_its_participant(rig):
    outcome = rig.run(DRIVER, "dm", "See you on Friday for lunch", recipient=X_FRIEND)
    assert outcome.ok, outcome.result
    judged = rig.judged("Friday for lunch")
    assert (judged["platform"], judged["kind"]) == ("x", "dm")
    assert judged["text"] == "See you on Friday for lunch"
    assert judged["recipients"] == [X_FRIEND]


class TestHeldReply(HeldReplyContract):
    driver = DRIVER
    action = "reply"
    target = X_PARENT
    path = "/2/tweets"
    dm_recipient = X_FRIEND
    dm_path = f"/2/dm_conversations/with/{X_FRIEND}/messages"
    platform = "x"
    # pullcheck answers like X refusing a tweet: 403 with a problem document, whose `detail`
    # tweepy puts in the message.
    edit_error_types = ("tweepy.errors.Forbidden",)
