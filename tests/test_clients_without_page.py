"""`holds: {without_page: reject}`: a flagged request from a client with no pullcheck page open
(a script, a bot) is answered at once with the site's failure response and the reason, so the
library raises instead of hanging until the hold times out.

Nobody decides here and a hold would wait ten minutes, while each client gives up after
CLIENT_TIMEOUT_S: an answer carrying the reason can only be the immediate refusal. Needs the
holds branch (the `holds` config key).
"""

from __future__ import annotations

import pytest
from client_contract import PITCH
from client_harness import HELD_REASON, HOLDS_REJECT, ClientRig
from client_sites import (
    BLUESKY_PARENT,
    MASTODON_PARENT,
    REDDIT_SUBMISSION,
    X_PARENT,
    bluesky_routes,
    mastodon_routes,
    reddit_routes,
    x_routes,
)

pytestmark = pytest.mark.timeout(120)
CLIENT_TIMEOUT_S = 20
LIBRARIES = {
    # name: driver, reply action, target, path, the library's exception
    "atproto": (
        "drive_bluesky.py",
        "reply",
        BLUESKY_PARENT,
        "/xrpc/com.atproto.repo.createRecord",
        ("atproto_client.exceptions.BadRequestError",),
    ),
    "Mastodon.py": (
        "drive_mastodon.py",
        "reply",
        MASTODON_PARENT,
        "/api/v1/statuses",
        ("mastodon.errors.MastodonAPIError",),
    ),
    "praw": (
        "drive_reddit.py",
        "comment",
        REDDIT_SUBMISSION,
        "/api/comment/",
        ("praw.exceptions.RedditAPIException",),
    ),
    "tweepy": ("drive_x.py", "reply", X_PARENT, "/2/tweets", ("tweepy.errors.Forbidden",)),
}


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    routes = {**bluesky_routes(), **mastodon_routes(), **reddit_routes(), **x_routes()}
    rig = ClientRig(
        tmp_path_factory.mktemp("without-page"), routes, HOLDS_REJECT + "hold_timeout_s: 600\n"
    )
    yield rig
    rig.close()


@pytest.mark.parametrize("library", list(LIBRARIES))
def test_a_flagged_reply_without_a_page_is_refused_at_once_with_the_reason(rig, library):
    driver, action, target, path, error_types = LIBRARIES[library]
    tag = "nopage" + library.replace(".", "")
    outcome = rig.run(
        driver, action, f"{PITCH} ref {tag}", target=target, timeout_s=CLIENT_TIMEOUT_S
    )
    assert not outcome.ok, f"the library reported success: {outcome.result}"
    assert outcome["error_type"] in error_types, outcome.result
    assert HELD_REASON in outcome["error"]
    judged = rig.judged(tag)
    assert judged["held"] is True
    assert any(code in outcome["error"] for code in judged["rules"]), "the reason names no rule"
    assert rig.received("POST", path) == []
    assert rig.holds() == []
