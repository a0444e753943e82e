"""Drive the Bluesky SDK (`atproto` on PyPI): post, reply, dm, against https://bsky.social.

Logs in (com.atproto.server.createSession, then the profile lookup `login` makes), then:
post and reply are `send_post` (com.atproto.repo.createRecord); dm finds the conversation with
`getConvoForMembers` and sends with `chat.bsky.convo.sendMessage` through the chat proxy client.
"""

from __future__ import annotations

import argparse
from typing import Any

from driver_cli import report

ACTIONS = ("post", "reply", "dm")
# Any content id: the fake site never checks it.
PARENT_CID = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx
    from atproto import Client, models
    from atproto_client.request import Request

    client = Client(
        base_url="https://bsky.social/xrpc", request=Request(timeout=httpx.Timeout(args.timeout))
    )
    client.login("alice.example.com", "app-password")
    if args.action == "dm":
        chat = client.with_bsky_chat_proxy().chat.bsky.convo
        convo = chat.get_convo_for_members(
            models.ChatBskyConvoGetConvoForMembers.Params(members=[args.recipient])
        ).convo
        sent = chat.send_message(
            models.ChatBskyConvoSendMessage.Data(
                convo_id=convo.id,
                message=models.ChatBskyConvoDefs.MessageInput(text=args.text),
            )
        )
        return {"message_id": sent.id, "convo_id": convo.id}
    reply_to = None
    if args.action == "reply":
        parent = models.ComAtprotoRepoStrongRef.Main(uri=args.target, cid=PARENT_CID)
        reply_to = models.AppBskyFeedPost.ReplyRef(parent=parent, root=parent)
    created = client.send_post(args.text, reply_to=reply_to)
    return {"uri": created.uri}


if __name__ == "__main__":
    report(ACTIONS, run)
