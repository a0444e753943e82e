"""Drive praw (Reddit): submit, comment, message, as a script app with a password grant.

praw fetches its token from https://www.reddit.com/api/v1/access_token, then submits to
r/<target> (POST /api/submit), comments on the submission <target> (POST /api/comment) and
messages u/<recipient> (POST /api/compose), all on https://oauth.reddit.com.
"""

from __future__ import annotations

import argparse
from typing import Any

from driver_cli import report

ACTIONS = ("submit", "comment", "message")


def run(args: argparse.Namespace) -> dict[str, Any]:
    import praw

    reddit = praw.Reddit(
        client_id="fake-client-id",
        client_secret="fake-client-secret",
        username="alice",
        password="fake-password",
        user_agent="pullcheck-client-tests/1.0 (by u/alice)",
        check_for_updates=False,
        timeout=args.timeout,
    )
    if args.action == "submit":
        title, _, body = args.text.partition("\n\n")
        submission = reddit.subreddit(args.target).submit(title, selftext=body)
        return {"id": submission.id}
    if args.action == "comment":
        comment = reddit.submission(args.target).reply(args.text)
        return {"id": comment.id if comment is not None else None}
    reddit.redditor(args.recipient).message(subject="Hello", message=args.text)
    return {}


if __name__ == "__main__":
    report(ACTIONS, run)
