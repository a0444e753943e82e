"""The fake sites' answers the client libraries need, one route table per site.

Shapes follow each API's documentation closely enough for the library to parse them (the
libraries validate some answers: atproto checks its models, praw reads `json.data`); contents are
made up. The paths do not collide, so one fake site can play all four (test_clients_without_page).
"""

from __future__ import annotations

import base64
import json
import time

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
    access = _unsigned_jwt({"scope": "com.atproto.access", "sub": BLUESKY_ME, "iat": now,
                            "exp": now + 7200, "aud": "did:web:bsky.social"})
    refresh = _unsigned_jwt({"scope": "com.atproto.refresh", "sub": BLUESKY_ME, "iat": now,
                             "exp": now + 86400, "aud": "did:web:bsky.social"})
    return {
        ("POST", "/xrpc/com.atproto.server.createSession"): json_answer({
            "accessJwt": access, "refreshJwt": refresh, "handle": "alice.example.com",
            "did": BLUESKY_ME, "active": True,
        }),
        ("GET", "/xrpc/app.bsky.actor.getProfile"): json_answer({
            "did": BLUESKY_ME, "handle": "alice.example.com", "displayName": "Alice",
        }),
        ("POST", "/xrpc/com.atproto.repo.createRecord"): json_answer({
            "uri": f"at://{BLUESKY_ME}/app.bsky.feed.post/3knewpost22a",
            "cid": "bafyreihwr3yw5alqmnzb7rrmtq4hmvtpjiuxydgx3uh2t2kv5jpatfwy3u",
        }),
        ("GET", "/xrpc/chat.bsky.convo.getConvoForMembers"): json_answer({"convo": {
            "id": BLUESKY_CONVO, "rev": "2222222222222", "muted": False, "unreadCount": 0,
            "members": [
                {"did": BLUESKY_ME, "handle": "alice.example.com"},
                {"did": BLUESKY_FRIEND, "handle": "bob.example.com"},
            ],
        }}),
        ("POST", "/xrpc/chat.bsky.convo.sendMessage"): json_answer({
            "id": "3kmessage2222", "rev": "2222222222223", "text": "(accepted)",
            "sender": {"did": BLUESKY_ME}, "sentAt": "2026-12-07T00:00:00.000Z",
        }),
    }
