"""Drive Mastodon.py: post, reply, dm (a `direct` status mentioning its recipient), against
https://mastodon.social with an access token (no version check: no /api/v1/instance call)."""

from __future__ import annotations

import argparse
from typing import Any

from driver_cli import report

ACTIONS = ("post", "reply", "dm")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from mastodon import Mastodon

    client = Mastodon(
        access_token="fake-access-token",
        api_base_url="https://mastodon.social",
        version_check_mode="none",
        request_timeout=args.timeout,
    )
    if args.action == "dm":
        # A Mastodon DM reaches exactly the accounts its text mentions.
        status = client.status_post(f"@{args.recipient} {args.text}", visibility="direct")
    elif args.action == "reply":
        status = client.status_post(args.text, in_reply_to_id=args.target)
    else:
        status = client.status_post(args.text)
    return {"id": str(status["id"])}


if __name__ == "__main__":
    report(ACTIONS, run)
