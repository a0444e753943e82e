"""The fake sites' answers the client libraries need, one route table per site.

Shapes follow each API's documentation closely enough for the library to parse them (the
libraries validate some answers: atproto checks its models, praw reads `json.data`); contents are
made up. The paths do not collide, so one fake site can play all four (test_clients_without_page).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from client_harness import json_answer
from proxy_harness import Answer

Routes = dict[tuple[str, str], Answer]

# -- Bluesky (https://bsky.social/xrpc) ------------------------------------------------------

BLUESKY_ME = "did:plc:alicealicealicealice01"
BLUESKY_FRIEND = "did:plc:bobbobbobbobbobbobbob02"
BLUESKY_PARENT = "at://did:plc:carolcarolcarolcarol03/app.bsky.feed.post/3kparentpost2a"
BLUESKY_CONVO = "3kconvoalicebob"


def _unsigned_jwt(claims: dict[str, object]) -> str:
    """A token the SDK can read (it decodes the payload for `sub` and `exp`, never verifies)."""

    def part(document: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(claims)}.c2lnbmF0dXJl"


def bluesky_routes() -> Routes:
    now = int(time.time())
    access = _unsigned_jwt(
        {
            "scope": "com.atproto.access",
            "sub": BLUESKY_ME,
            "iat": now,
            "exp": now + 7200,
            "aud": "did:web:bsky.social",
        }
    )
    refresh = _unsigned_jwt(
        {
            "scope": "com.atproto.refresh",
            "sub": BLUESKY_ME,
            "iat": now,
            "exp": now + 86400,
            "aud": "did:web:bsky.social",
        }
    )
    return {
        ("POST", "/xrpc/com.atproto.server.createSession"): json_answer(
            {
                "accessJwt": access,
                "refreshJwt": refresh,
                "handle": "alice.example.com",
                "did": BLUESKY_ME,
                "active": True,
            }
        ),
        ("GET", "/xrpc/app.bsky.actor.getProfile"): json_answer(
            {
                "did": BLUESKY_ME,
                "handle": "alice.example.com",
                "displayName": "Alice",
            }
        ),
        ("POST", "/xrpc/com.atproto.repo.createRecord"): json_answer(
            {
                "uri": f"at://{BLUESKY_ME}/app.bsky.feed.post/3knewpost22a",
                "cid": "bafyreihwr3yw5alqmnzb7rrmtq4hmvtpjiuxydgx3uh2t2kv5jpatfwy3u",
            }
        ),
        ("GET", "/xrpc/chat.bsky.convo.getConvoForMembers"): json_answer(
            {
                "convo": {
                    "id": BLUESKY_CONVO,
                    "rev": "2222222222222",
                    "muted": False,
                    "unreadCount": 0,
                    "members": [
                        {"did": BLUESKY_ME, "handle": "alice.example.com"},
                        {"did": BLUESKY_FRIEND, "handle": "bob.example.com"},
                    ],
                }
            }
        ),
        ("POST", "/xrpc/chat.bsky.convo.sendMessage"): json_answer(
            {
                "id": "3kmessage2222",
                "rev": "2222222222223",
                "text": "(accepted)",
                "sender": {"did": BLUESKY_ME},
                "sentAt": "2026-12-07T00:00:00.000Z",
            }
        ),
    }


# -- Mastodon (https://mastodon.social) -------------------------------------------------------

MASTODON_PARENT = "113500000000000042"
MASTODON_FRIEND = "bob@fosstodon.org"


def mastodon_routes() -> Routes:
    status: dict[str, Any] = {
        "id": "113500000000000777",
        "created_at": "2026-12-07T00:00:00.000Z",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": "https://mastodon.social/users/alice/statuses/113500000000000777",
        "url": "https://mastodon.social/@alice/113500000000000777",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": "<p>(accepted)</p>",
        "reblog": None,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "account": {
            "id": "109000000000000001",
            "username": "alice",
            "acct": "alice",
            "display_name": "Alice",
            "url": "https://mastodon.social/@alice",
        },
    }
    return {("POST", "/api/v1/statuses"): json_answer(status)}


# -- Reddit (token on https://www.reddit.com, the API on https://oauth.reddit.com) ------------

REDDIT_SUBREDDIT = "smallbusiness"
REDDIT_SUBMISSION = "1h2k3m4"
REDDIT_FRIEND = "bob_example"


def reddit_routes() -> Routes:
    comment = {
        "kind": "t1",
        "data": {
            "id": "m0k1a2b",
            "name": "t1_m0k1a2b",
            "body": "(accepted)",
            "link_id": f"t3_{REDDIT_SUBMISSION}",
            "parent_id": f"t3_{REDDIT_SUBMISSION}",
            "author": "alice",
            "subreddit": REDDIT_SUBREDDIT,
            "created_utc": 1796600000.0,
            "permalink": f"/r/{REDDIT_SUBREDDIT}/comments/{REDDIT_SUBMISSION}/_/m0k1a2b/",
        },
    }
    return {
        ("POST", "/api/v1/access_token"): json_answer(
            {
                "access_token": "fake-reddit-token",
                "token_type": "bearer",
                "expires_in": 86400,
                "scope": "*",
            }
        ),
        ("POST", "/api/submit/"): json_answer(
            {
                "json": {
                    "errors": [],
                    "data": {
                        "url": f"https://www.reddit.com/r/{REDDIT_SUBREDDIT}/comments/1h9z9z9/hello/",
                        "drafts_count": 0,
                        "id": "1h9z9z9",
                        "name": "t3_1h9z9z9",
                    },
                }
            }
        ),
        ("POST", "/api/comment/"): json_answer(
            {
                "json": {
                    "errors": [],
                    "data": {
                        "things": [comment],
                    },
                }
            }
        ),
        ("POST", "/api/compose/"): json_answer({"json": {"errors": []}}),
    }


# -- X (https://api.twitter.com, API v2) ------------------------------------------------------

X_PARENT = "1866000000000000042"
X_FRIEND = "2244994945"


def x_routes() -> Routes:
    return {
        ("POST", "/2/tweets"): json_answer(
            {
                "data": {
                    "id": "1866000000000000777",
                    "text": "(accepted)",
                    "edit_history_tweet_ids": ["1866000000000000777"],
                }
            },
            status=201,
        ),
        ("POST", f"/2/dm_conversations/with/{X_FRIEND}/messages"): json_answer(
            {
                "data": {
                    "dm_conversation_id": f"1000000001-{X_FRIEND}",
                    "dm_event_id": "1866000000000000888",
                }
            },
            status=201,
        ),
    }
