"""The X reply many tests send: a pitch to a stranger's post (PP201 and friends; held in hold
mode), as X's web client posts it, with the path and header it goes with."""

from __future__ import annotations

import json
from typing import Any

CREATE_TWEET = "/i/api/graphql/SiM_cAu83R0wnrpmKQQSEw/CreateTweet"
JSON = {"content-type": "application/json"}
PITCH_TEXT = (
    "Hi! We build fast, affordable websites for bakeries. See "
    "https://acme-webworks.example/pricing and DM me for 20% off this week!"
)
PITCH_BODY: dict[str, Any] = {
    "variables": {
        "tweet_text": PITCH_TEXT,
        "reply": {"in_reply_to_tweet_id": "1790000000000000200", "exclude_reply_user_ids": []},
    },
    "queryId": "SiM_cAu83R0wnrpmKQQSEw",
}
PITCH_REPLY = json.dumps(PITCH_BODY).encode()
