"""Drive tweepy (X API v2) with OAuth 1.0a user context: post and reply are
`create_tweet` (POST https://api.twitter.com/2/tweets), dm is `create_direct_message` to a
participant (POST /2/dm_conversations/with/<recipient>/messages)."""

from __future__ import annotations

import argparse
from typing import Any

from driver_cli import report

ACTIONS = ("post", "reply", "dm")


def run(args: argparse.Namespace) -> dict[str, Any]:
    import functools

    import tweepy

    client = tweepy.Client(
        consumer_key="fake-consumer-key",
        consumer_secret="fake-secret",
        access_token="1-fake-access-token",
        access_token_secret="fake",
    )
    # tweepy has no timeout option; its requests session is public.
    client.session.request = functools.partial(client.session.request, timeout=args.timeout)
    if args.action == "dm":
        response = client.create_direct_message(participant_id=args.recipient, text=args.text)
        return {"dm_event_id": response.data["dm_event_id"]}
    response = client.create_tweet(
        text=args.text,
        in_reply_to_tweet_id=args.target if args.action == "reply" else None,
    )
    return {"id": response.data["id"]}


if __name__ == "__main__":
    report(ACTIONS, run)
