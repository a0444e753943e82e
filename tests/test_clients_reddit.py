"""praw (Reddit) through pullcheck: what it submits, comments and messages is recognised and a
flagged comment is held, refused with the reason, or sent once (see client_harness.py and
client_contract.py)."""

from __future__ import annotations

import pytest
from client_contract import HeldReplyContract
from client_harness import HOLDS_WAIT, ClientRig
from client_sites import REDDIT_FRIEND, REDDIT_SUBMISSION, REDDIT_SUBREDDIT, reddit_routes

pytestmark = pytest.mark.timeout(120)
DRIVER = "drive_reddit.py"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = ClientRig(tmp_path_factory.mktemp("reddit"), reddit_routes(), HOLDS_WAIT)
    yield rig
    rig.close()


def test_a_submission_is_recognised_as_a_post_with_its_title_and_body(rig):
    outcome = rig.run(
        DRIVER,
        "submit",
        "Sunset over the harbour\n\nTaken from the pier tonight",
        target=REDDIT_SUBREDDIT,
    )
    assert outcome.ok, outcome.result
    judged = rig.judged("Sunset over the harbour")
    assert (judged["platform"], judged["kind"]) == ("reddit", "post")
    assert judged["text"] == "Sunset over the harbour\n\nTaken from the pier tonight"
    assert judged["origin"] == "https://oauth.reddit.com"
    assert judged["held"] is False


def test_a_comment_is_recognised_as_a_reply_to_its_submission(rig):
    outcome = rig.run(
        DRIVER, "comment", "What a lovely photo, thanks for sharing", target=REDDIT_SUBMISSION
    )
    assert outcome.ok, outcome.result
    judged = rig.judged("lovely photo")
    assert (judged["platform"], judged["kind"]) == ("reddit", "reply")
    assert judged["text"] == "What a lovely photo, thanks for sharing"
    assert judged["reply_to"] == f"t3_{REDDIT_SUBMISSION}"


def test_a_message_is_recognised_as_a_dm_to_its_recipient(rig):
    outcome = rig.run(DRIVER, "message", "See you on Friday for lunch", recipient=REDDIT_FRIEND)
    assert outcome.ok, outcome.result
    judged = rig.judged("Friday for lunch")
    assert (judged["platform"], judged["kind"]) == ("reddit", "dm")
    assert judged["text"] == "See you on Friday for lunch"
    assert judged["recipients"] == [REDDIT_FRIEND]


class TestHeldReply(HeldReplyContract):
    driver = DRIVER
    action = "comment"
    target = REDDIT_SUBMISSION
    path = "/api/comment/"
    dm_action = "message"
    dm_recipient = REDDIT_FRIEND
    dm_path = "/api/compose/"
    platform = "reddit"
    edit_error_types = ("praw.exceptions.RedditAPIException",)
