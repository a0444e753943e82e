"""Bluesky (AT Protocol): posts via applyWrites/createRecord on the user's PDS, chat DMs.

The host is the user's own PDS (`*.host.bsky.network`, `bsky.social` or self-hosted), so the
adapter also matches its `/xrpc/` methods on any host (ENDPOINTS.md §3). bsky.app sends a whole
thread in one applyWrites call; post n+1 replies to post n, so only the first create is a reply
to someone else's post. The visible text carries *shortened* links: the full URL is only in a
`#link` facet (or a link card), which is why links are taken from the structured fields.
Chat messages name a conversation, never a person: memory maps `convoId` to members.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.sites.adapter import (
    HELD_MESSAGE,
    dig,
    epoch,
    json_failure,
    read_json,
    string,
    walk_dicts,
)
from pullcheck.sites.bodies import decode_body, text_value
from pullcheck.sites.wire import Compose, Follower, Harvest, SeenPost, WireRequest, WireResponse

_XRPC = re.compile(r"^/xrpc/([\w.]+)$")
_POST = "app.bsky.feed.post"
_COMPOSE_METHODS = frozenset(
    {
        "com.atproto.repo.applyWrites",
        "com.atproto.repo.createRecord",
        "chat.bsky.convo.sendMessage",
        "chat.bsky.convo.sendMessageBatch",
    }
)

# XRPC errors are `{"error": Name, "message": text}`. A 400 InvalidRequest is a plain failure the
# app shows in the composer, which stays open with the text; 5xx and 429 may be retried by the
# client's fetch handler, which would hold the same post a second time.
FAILURE = json_failure(400, {"error": "InvalidRequest", "message": HELD_MESSAGE})

# Answers about the signed-in account: the session (`{did, handle, ...}`: the app resumes and
# refreshes it on every start, lexicons com.atproto.server.*Session) and the profile the app
# fetches for it (`app.bsky.actor.getProfile`, a profileViewDetailed).
_SESSION_METHODS = frozenset(
    {
        "com.atproto.server.getSession",
        "com.atproto.server.createSession",
        "com.atproto.server.refreshSession",
    }
)
_PROFILE = "app.bsky.actor.getProfile"
# What the PDS answers for a handle that no longer resolves to the DID (atproto handle spec).
_INVALID_HANDLE = "handle.invalid"


def account_from(req: WireRequest) -> str | None:
    """The signed-in DID: the `sub` claim of the access token (read, never verified)."""
    auth = req.headers.get("authorization", "")
    _, _, token = auth.partition(" ")
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject.startswith("did:") else None


class BlueskyAdapter:
    name: str = "bluesky"
    default_hosts: tuple[str, ...] = (
        "bsky.social",
        "*.host.bsky.network",
        "api.bsky.chat",
        "public.api.bsky.app",
        "api.bsky.app",
        "bsky.app",
    )
    any_host: bool = True
    any_host_paths: tuple[str, ...] = ("/xrpc/",)
    paths: re.Pattern[str] = re.compile(
        r"^/xrpc/(?:com\.atproto\.repo\.(?:applyWrites|createRecord)$|chat\.bsky\.convo\."
        r"|app\.bsky\.|com\.atproto\.server\.(?:get|create|refresh)Session$)"
    )

    def compose(self, req: WireRequest) -> Compose | None:
        if req.method != "POST":
            return None
        match = _XRPC.match(req.path)
        if not match or match.group(1) not in _COMPOSE_METHODS:
            return None
        method = match.group(1)
        body = decode_body(req.body, req.content_type)
        if not isinstance(body, dict):
            return None
        sender = string(body.get("repo")) or account_from(req)
        if method == "com.atproto.repo.applyWrites":
            writes = body.get("writes")
            records = [
                w.get("value")
                for w in (writes if isinstance(writes, list) else [])
                if isinstance(w, dict)
                and str(w.get("$type", "")).endswith("#create")
                and w.get("collection") == _POST
                and isinstance(w.get("value"), dict)
            ]
            return self._posts(method, records, sender)
        if method == "com.atproto.repo.createRecord":
            if body.get("collection") != _POST or not isinstance(body.get("record"), dict):
                return None
            return self._posts(method, [body["record"]], sender)
        if method == "chat.bsky.convo.sendMessage":
            items = [body]
        else:
            raw = body.get("items")
            items = [i for i in (raw if isinstance(raw, list) else []) if isinstance(i, dict)]
        return self._messages(method, items, sender)

    def _posts(self, method: str, records: list[Any], sender: str | None) -> Compose | None:
        if not records:
            return None
        first = records[0]
        texts = [t for t in (text_value(r.get("text")) for r in records) if t is not None]
        mentions: list[str] = []
        links: list[str] = []
        for record in records:
            _facets(record, mentions, links)
            external = string(dig(record, "embed", "external", "uri"))
            if external:
                links.append(external)
        parent = string(dig(first, "reply", "parent", "uri"))
        quoted = string(dig(first, "embed", "record", "uri")) or string(
            dig(first, "embed", "record", "record", "uri")
        )
        kind: Kind = "reply" if parent else "quote" if quoted else "post"
        target = ReplyTarget(id=parent or quoted) if (parent or quoted) else None
        context = f"thread of {len(records)} posts" if len(records) > 1 else ""
        draft = Draft(
            platform=self.name,
            kind=kind,
            text="\n\n".join(texts),
            reply_to=target,
            mentions=list(dict.fromkeys(mentions)),
            links=list(dict.fromkeys(links)),
            context=context,
        )
        return Compose(method, draft, [], FAILURE, sender=sender)

    def _messages(
        self, method: str, items: list[dict[str, Any]], sender: str | None
    ) -> Compose | None:
        conversations: list[str] = []
        texts: list[str] = []
        mentions: list[str] = []
        links: list[str] = []
        for item in items:
            conversation = string(item.get("convoId"))
            message = item.get("message")
            if not conversation or not isinstance(message, dict):
                continue
            conversations.append(conversation)
            text = text_value(message.get("text"))
            if text is not None and text not in texts:
                texts.append(text)
            _facets(message, mentions, links)
        if not conversations:
            return None
        context = (
            f"same message to {len(conversations)} conversations" if len(conversations) > 1 else ""
        )
        draft = Draft(
            platform=self.name,
            kind="dm",
            text="\n\n".join(texts),
            mentions=list(dict.fromkeys(mentions)),
            links=list(dict.fromkeys(links)),
            context=context,
        )
        return Compose(method, draft, list(dict.fromkeys(conversations)), FAILURE, sender=sender)

    def harvest(self, resp: WireResponse) -> Harvest | None:
        req = resp.request
        match = _XRPC.match(req.path)
        if resp.status != 200 or not match or match.group(1) in _COMPOSE_METHODS:
            return None
        document = read_json(resp.body)
        if not isinstance(document, dict):
            return None
        harvest = Harvest(own_id=account_from(req), source=match.group(1))
        if match.group(1) in _SESSION_METHODS or match.group(1) == _PROFILE:
            _signed_in(document, match.group(1), harvest)
            return harvest if harvest else None
        for node in walk_dicts(document):
            author = node.get("author")
            record = node.get("record")
            if isinstance(author, dict) and isinstance(record, dict) and "uri" in node:
                if node.get("reason") == "follow":
                    follower = _follower(node)
                    if follower:
                        harvest.new_followers.append(follower)
                elif record.get("$type", _POST) == _POST:
                    post = _post(node, author, record)
                    if post:
                        harvest.posts.append(post)
            elif isinstance(author, dict) and isinstance(node.get("value"), dict):
                # A quoted post inside an embed (`#viewRecord`): the record is under `value`.
                if str(node.get("$type", "")).endswith("#viewRecord"):
                    post = _post(node, author, node["value"])
                    if post:
                        harvest.posts.append(post)
            elif isinstance(node.get("members"), list) and "id" in node:
                _conversation(node, harvest)
        if match.group(1) == "chat.bsky.convo.getMessages":
            _messages(document, req.query.get("convoId"), "cursor" in req.query, harvest)
        elif match.group(1) == "chat.bsky.convo.getLog":
            _log(document, harvest)
        return harvest if harvest else None

    def harvest_websocket(self, text: str) -> Harvest | None:
        return None


def _signed_in(document: dict[str, Any], method: str, harvest: Harvest) -> None:
    """The handle of the signed-in account. A session answer is about it by definition; a
    profile only when its DID is the one the access token was issued to."""
    did = string(document.get("did"))
    handle = string(document.get("handle"))
    if not did or not did.startswith("did:") or not handle or handle == _INVALID_HANDLE:
        return
    if method == _PROFILE and did != harvest.own_id:
        return  # someone else's profile (or no token to tell): says nothing of the user
    harvest.own_id = did
    harvest.own_handle = handle


def _facets(record: dict[str, Any], mentions: list[str], links: list[str]) -> None:
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = dig(facet, "features")
        for feature in features if isinstance(features, list) else []:
            kind = str(dig(feature, "$type") or "")
            if kind.endswith("#mention"):
                did = string(dig(feature, "did"))
                if did:
                    mentions.append(did)
            elif kind.endswith("#link"):
                uri = string(dig(feature, "uri"))
                if uri:
                    links.append(uri)


def _post(node: dict[str, Any], author: dict[str, Any], record: dict[str, Any]) -> SeenPost | None:
    uri = string(node.get("uri"))
    if not uri or "/app.bsky.feed.post/" not in uri:
        return None
    return SeenPost(
        id=uri,
        platform="bluesky",
        author=string(author.get("handle")) or string(author.get("did")),
        text=text_value(record.get("text")) or "",
        in_reply_to=string(dig(record, "reply", "parent", "uri")),
        author_id=string(author.get("did")),
    )


def _follower(node: dict[str, Any]) -> Follower | None:
    did = string(dig(node, "author", "did"))
    if not did:
        return None
    when = epoch(node.get("indexedAt")) or epoch(dig(node, "record", "createdAt")) or 0.0
    return Follower("bluesky", did, string(dig(node, "author", "handle")), when)


def _conversation(node: dict[str, Any], harvest: Harvest) -> None:
    conversation = string(node.get("id"))
    members = [s for s in (string(dig(m, "did")) for m in node["members"]) if s]
    if not conversation or not members:
        return
    harvest.conversations[conversation] = members
    sender = string(dig(node, "lastMessage", "sender", "did"))
    if sender:
        harvest.conversation_senders.setdefault(conversation, []).append(sender)
    reacted = string(dig(node, "lastReaction", "reaction", "sender", "did"))
    if reacted:
        harvest.conversation_senders.setdefault(conversation, []).append(reacted)
    if not node.get("lastMessage") and not node.get("lastReaction"):
        # getConvoForMembers answers with a convo (creating it) before the first message is
        # sent: a convo nobody wrote in is no prior conversation (convoView.lastMessage is
        # optional in chat.bsky.convo.defs).
        harvest.empty_conversations.append(conversation)


def _messages(
    document: dict[str, Any], conversation: str | None, older_page: bool, harvest: Harvest
) -> None:
    messages = document.get("messages")
    if not conversation or not isinstance(messages, list):
        return
    if not messages and not older_page:
        # The newest page is empty: nothing was ever written in this conversation.
        harvest.empty_conversations.append(conversation)
        return
    senders = harvest.conversation_senders.setdefault(conversation, [])
    for message in messages:
        sender = string(dig(message, "sender", "did"))
        if sender and sender not in senders:
            senders.append(sender)


def _log(document: dict[str, Any], harvest: Harvest) -> None:
    """getLog's `logCreateMessage` events: who wrote into which convo since the last poll."""
    logs = document.get("logs")
    for event in logs if isinstance(logs, list) else []:
        if not str(dig(event, "$type") or "").endswith("#logCreateMessage"):
            continue
        conversation = string(dig(event, "convoId"))
        sender = string(dig(event, "message", "sender", "did"))
        if conversation and sender:
            senders = harvest.conversation_senders.setdefault(conversation, [])
            if sender not in senders:
                senders.append(sender)


ADAPTER = BlueskyAdapter()
