"""Mastodon.py through pullcheck: what it posts is recognised and a flagged reply is held,
refused with the reason, or sent once (see client_harness.py and client_contract.py)."""

from __future__ import annotations

import pytest
from client_contract import HeldReplyContract
from client_harness import HOLDS_WAIT, ClientRig
from client_sites import MASTODON_FRIEND, MASTODON_PARENT, mastodon_routes

pytestmark = pytest.mark.timeout(120)
DRIVER = "drive_mastodon.py"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = ClientRig(tmp_path_factory.mktemp("mastodon"), mastodon_routes(), HOLDS_WAIT)
    yield rig
    rig.close()


def test_a_post_is_recognised_with_its_text(rig):
    outcome = rig.run(DRIVER, "post", "Lovely sunset over the harbour tonight")
    assert outcome.ok, outcome.result
    judged = rig.judged("sunset over the harbour")
    assert (judged["platform"], judged["kind"]) == ("mastodon", "post")
    assert judged["text"] == "Lovely sunset over the harbour tonight"
    assert judged["origin"] == "https://mastodon.social"
    assert judged["held"] is False


def test_a_reply_is_recognised_with_the_status_it_answers(rig):
    outcome = rig.run(
        DRIVER, "reply", "What a lovely photo, thanks for sharing", target=MASTODON_PARENT
    )
    assert outcome.ok, outcome.result
    judged = rig.judged("lovely photo")
    assert (judged["platform"], judged["kind"]) == ("mastodon", "reply")
    assert judged["text"] == "What a lovely photo, thanks for sharing"
    assert judged["reply_to"] == MASTODON_PARENT


def test_a_direct_status_is_recognised_as_a_dm_to_the_account_it_mentions(rig):
    outcome = rig.run(DRIVER, "dm", "See you on Friday for lunch", recipient=MASTODON_FRIEND)
    assert outcome.ok, outcome.result
    judged = rig.judged("Friday for lunch")
    assert (judged["platform"], judged["kind"]) == ("mastodon", "dm")
    assert judged["text"] == f"@{MASTODON_FRIEND} See you on Friday for lunch"
    assert judged["recipients"] == [MASTODON_FRIEND]


class TestHeldReply(HeldReplyContract):
    driver = DRIVER
    action = "reply"
    target = MASTODON_PARENT
    path = "/api/v1/statuses"
    dm_recipient = MASTODON_FRIEND
    dm_path = "/api/v1/statuses"
    platform = "mastodon"
    edit_error_types = ("mastodon.errors.MastodonAPIError",)
