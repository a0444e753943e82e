"""X (Twitter) web app: CreateTweet and friends, legacy and XChat DMs; timelines, notifications.
The public REST API (v2 and v1.1, used by API clients) is read by `x_api`, routed from here.

Requests are matched by the GraphQL operation name at the end of the path, never by the query id
before it, which rotates every few weeks (ENDPOINTS.md §1). Reply `@handles` are not in
`tweet_text`; the reply target is only `reply.in_reply_to_tweet_id`. XChat DMs are end-to-end
encrypted: only the conversation (and so the recipient) is readable, the text is left to the
banner (`text_available=False`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.sites import x_api
from pullcheck.sites.adapter import (
    HELD_MESSAGE,
    cookie,
    dig,
    json_failure,
    read_json,
    string,
    walk_dicts,
)
from pullcheck.sites.bodies import decode_body, text_value
from pullcheck.sites.wire import (
    Compose,
    Follower,
    Harvest,
    SeenPost,
    WireRequest,
    WireResponse,
)
from pullcheck.sites.x_api import STATUS_ID, conversation_members, mentions, without_sender

_GRAPHQL = re.compile(r"^/(?:i/api/)?graphql/[\w-]+/(\w+)$")
_DM_NEW = re.compile(r"^/(?:i/api/)?1\.1/dm/new2?\.json$")
_DM_READ = re.compile(r"^/(?:i/api/)?1\.1/dm/[\w/.]+\.json$")
_NOTIFICATIONS_LEGACY = re.compile(r"^/(?:i/api/)?2/notifications/[\w/]+\.json$")
# The signed-in account's settings (the web app asks at start; `screen_name` in it) and the
# v1.1 API's verify_credentials (a User object).
_ACCOUNT = re.compile(r"^/(?:i/api/)?1\.1/account/(?:settings|verify_credentials)\.json$")
_SCREEN_NAME = re.compile(r"\w{1,15}", re.ASCII)

# X's GraphQL API refuses a mutation with HTTP 200, a top-level `errors` list and empty `data`:
# "Status is a duplicate" (code 187) arrives that way (fa0311/twitter-openapi#32,
# elizaOS/eliza#4074), and the web client shows its error toast with the draft kept. The same
# shape for a held post: no console error in the page, no "Service Unavailable" that invites a
# retry, and `accepted.site_accepted` counts it as not sent. Code 130 is X's "Over capacity".
FAILURE = json_failure(200, {"errors": [{"code": 130, "message": HELD_MESSAGE}], "data": {}})
# The REST DM endpoint (1.1 dm/new2.json) refuses with a 4xx and the same `errors` shape (403
# with code 349, "You cannot send messages to this user"); a 200 there would read as sent.
FAILURE_REST = json_failure(403, {"errors": [{"code": 349, "message": HELD_MESSAGE}]})

_TWEET_OPERATIONS = frozenset({"CreateTweet", "CreateNoteTweet"})


def own_id_from(req: WireRequest) -> str | None:
    """The signed-in user's id from the `twid` cookie (`u%3D<id>`)."""
    twid = cookie(req, "twid")
    if not twid:
        return None
    value = unquote(twid)
    _, _, user = value.partition("u=")
    return user if user.isdigit() else None


class XAdapter:
    name: str = "x"
    default_hosts: tuple[str, ...] = (
        "x.com",
        "twitter.com",
        "api.x.com",
        "api.twitter.com",
        "mobile.x.com",
        "mobile.twitter.com",
    )
    any_host: bool = False
    any_host_paths: tuple[str, ...] = ()
    paths: re.Pattern[str] = re.compile(
        "|".join(
            p.pattern
            for p in (_GRAPHQL, _DM_NEW, _DM_READ, _NOTIFICATIONS_LEGACY, _ACCOUNT, x_api.PATHS)
        )
    )

    def compose(self, req: WireRequest) -> Compose | None:
        if req.method != "POST":
            return None
        match = _GRAPHQL.match(req.path)
        if match:
            operation = match.group(1)
            if operation in _TWEET_OPERATIONS:
                return self._tweet(req, operation)
            if operation == "CreateScheduledTweet":
                return self._scheduled(req)
            if operation == "SendMessageCreateMutation":
                return self._xchat(req)
            if operation == "useSendMessageMutation":
                return self._graphql_dm(req)
            return None
        if _DM_NEW.match(req.path):
            return self._legacy_dm(req)
        if x_api.is_api_path(req.path):
            return x_api.compose(req, self.name)
        return None

    # -- compose ---------------------------------------------------------------------------

    def _variables(self, req: WireRequest) -> dict[str, Any]:
        body = decode_body(req.body, req.content_type)
        variables = body.get("variables") if isinstance(body, dict) else None
        return variables if isinstance(variables, dict) else {}

    def _tweet(self, req: WireRequest, operation: str) -> Compose | None:
        variables = self._variables(req)
        text = text_value(variables.get("tweet_text"))
        if text is None:
            return None
        reply_id = string(dig(variables, "reply", "in_reply_to_tweet_id"))
        attachment = text_value(variables.get("attachment_url")) or ""
        quoted = STATUS_ID.search(attachment)
        kind: Kind
        target: ReplyTarget | None
        if reply_id:
            kind, target = "reply", ReplyTarget(id=reply_id)
        elif quoted:
            # A quote is judged against the quoted post like a reply against its parent.
            kind, target = "quote", ReplyTarget(id=quoted.group(1))
        else:
            kind, target = "post", None
        draft = Draft(
            platform=self.name,
            kind=kind,
            text=text,
            reply_to=target,
            mentions=mentions(text),
            context="long post" if operation == "CreateNoteTweet" else "",
        )
        return Compose(operation, draft, [], FAILURE, sender=own_id_from(req))

    def _scheduled(self, req: WireRequest) -> Compose | None:
        request = dig(self._variables(req), "post_tweet_request")
        if not isinstance(request, dict):
            return None
        text = text_value(request.get("status"))
        if text is None:
            return None
        reply_id = string(request.get("in_reply_to_status_id"))
        draft = Draft(
            platform=self.name,
            kind="reply" if reply_id else "post",
            text=text,
            reply_to=ReplyTarget(id=reply_id) if reply_id else None,
            mentions=mentions(text),
            context="scheduled post",
        )
        return Compose("CreateScheduledTweet", draft, [], FAILURE, sender=own_id_from(req))

    def _legacy_dm(self, req: WireRequest) -> Compose | None:
        body = decode_body(req.body, req.content_type)
        if not isinstance(body, dict):
            return None
        text = text_value(body.get("text"))
        if text is None:
            return None
        sender = own_id_from(req)
        conversation = string(body.get("conversation_id"))
        named = body.get("recipient_ids")
        recipients: list[str] = []
        if isinstance(named, str):
            recipients = [r.strip() for r in named.split(",") if r.strip()]
        elif isinstance(named, list):
            recipients = [s for s in (string(r) for r in named) if s]
        conversations = [conversation] if conversation else []
        if conversation and not recipients:
            recipients = without_sender(conversation_members(conversation), sender)
        draft = Draft(
            platform=self.name,
            kind="dm",
            text=text,
            recipients=recipients,
            mentions=mentions(text),
            # recipient_ids is only sent when no conversation exists yet (ENDPOINTS.md §1.3).
            prior_conversation=False if (named and not conversation) else None,
        )
        return Compose("dm/new2", draft, conversations, FAILURE_REST, sender=sender)

    def _graphql_dm(self, req: WireRequest) -> Compose | None:
        variables = self._variables(req)
        text = text_value(dig(variables, "message", "text", "text"))
        if text is None:
            return None
        sender = own_id_from(req)
        target = variables.get("target")
        recipients: list[str] = []
        conversations: list[str] = []
        if isinstance(target, dict):
            ids = target.get("participant_ids")
            if isinstance(ids, list):
                recipients = [s for s in (string(i) for i in ids) if s and s != sender]
            conversation = string(target.get("conversation_id"))
            if conversation:
                conversations.append(conversation)
                if not recipients:
                    recipients = without_sender(conversation_members(conversation), sender)
        draft = Draft(
            platform=self.name,
            kind="dm",
            text=text,
            recipients=recipients,
            mentions=mentions(text),
        )
        return Compose("useSendMessageMutation", draft, conversations, FAILURE, sender=sender)

    def _xchat(self, req: WireRequest) -> Compose | None:
        variables = self._variables(req)
        conversation = string(variables.get("conversation_id"))
        if conversation is None:
            return None
        sender = own_id_from(req)
        draft = Draft(
            platform=self.name,
            kind="dm",
            text="",
            text_available=False,
            recipients=without_sender(conversation_members(conversation), sender),
        )
        return Compose("SendMessageCreateMutation", draft, [conversation], FAILURE, sender=sender)

    # -- read side -------------------------------------------------------------------------

    def harvest(self, resp: WireResponse) -> Harvest | None:
        req = resp.request
        if resp.status != 200:
            return None
        graphql = _GRAPHQL.match(req.path)
        if _ACCOUNT.match(req.path):
            return _account(resp, req)
        if (
            not graphql
            and not _DM_READ.match(req.path)
            and not _NOTIFICATIONS_LEGACY.match(req.path)
        ):
            return x_api.harvest(resp, self.name) if x_api.is_read_path(req.path) else None
        document = read_json(resp.body)
        if not isinstance(document, dict):
            return None
        harvest = Harvest(own_id=own_id_from(req), source=graphql.group(1) if graphql else req.path)
        _viewer(document, harvest)
        for node in walk_dicts(document):
            typename = node.get("__typename")
            if typename == "Tweet" and isinstance(node.get("legacy"), dict):
                post = _tweet_post(node)
                if post is not None:
                    harvest.posts.append(post)
            elif typename == "TimelineNotification":
                harvest.new_followers.extend(_notification_followers(node))
        inbox = _inbox(document)
        if inbox is not None:
            _read_inbox(inbox, harvest)
        notifications = dig(document, "globalObjects", "notifications")
        if isinstance(notifications, dict):
            harvest.new_followers.extend(_legacy_followers(notifications))
        return harvest if harvest else None

    def harvest_websocket(self, text: str) -> Harvest | None:
        return None


def _viewer(document: dict[str, Any], harvest: Harvest) -> None:
    """The signed-in account of a GraphQL answer that has one: `data.viewer` (the `Viewer`
    query the web app runs at start) or `data.viewer_v2`, whose `user_results.result` is a User
    (screen name under `core`, or under `legacy` in older answers)."""
    for key in ("viewer", "viewer_v2"):
        user = dig(document, "data", key, "user_results", "result")
        if not isinstance(user, dict):
            continue
        user_id = string(user.get("rest_id"))
        if user_id and not harvest.own_id:
            harvest.own_id = user_id
        handle = _screen_name(user)
        if handle and (not user_id or user_id == harvest.own_id):
            harvest.own_handle = handle
        return


def _account(resp: WireResponse, req: WireRequest) -> Harvest | None:
    """`account/settings.json` and `account/verify_credentials.json`: about the signed-in
    account only."""
    if req.method != "GET":
        return None
    document = read_json(resp.body)
    if not isinstance(document, dict):
        return None
    signed_in = own_id_from(req) or x_api.account_from(req)
    user_id = string(document.get("id_str"))
    handle = _valid_screen_name(document.get("screen_name"))
    if user_id and signed_in and user_id != signed_in:
        return None  # not the account the request was made for
    harvest = Harvest(own_id=user_id or signed_in, own_handle=handle, source=req.path)
    return harvest if harvest else None


def _screen_name(user: dict[str, Any]) -> str | None:
    return _valid_screen_name(dig(user, "core", "screen_name")) or _valid_screen_name(
        dig(user, "legacy", "screen_name")
    )


def _valid_screen_name(value: Any) -> str | None:
    """An X screen name: 1 to 15 letters, digits and underscores."""
    name = string(value)
    return name if name and _SCREEN_NAME.fullmatch(name) else None


def _tweet_post(node: dict[str, Any]) -> SeenPost | None:
    legacy = node["legacy"]
    post_id = string(node.get("rest_id")) or string(legacy.get("id_str"))
    if not post_id:
        return None
    # legacy.full_text is cut at 280 characters for long posts; the note has the whole text.
    text = text_value(dig(node, "note_tweet", "note_tweet_results", "result", "text"))
    if text is None:
        text = text_value(legacy.get("full_text")) or ""
    user = dig(node, "core", "user_results", "result")
    author = string(dig(user, "core", "screen_name")) or string(dig(user, "legacy", "screen_name"))
    author_id = string(dig(user, "rest_id")) or string(legacy.get("user_id_str"))
    return SeenPost(
        id=post_id,
        platform="x",
        author=author,
        text=text,
        in_reply_to=string(legacy.get("in_reply_to_status_id_str")),
        author_id=author_id,
    )


def _notification_followers(node: dict[str, Any]) -> list[Follower]:
    icon = node.get("notification_icon")
    message = text_value(dig(node, "rich_message", "text")) or ""
    # The icon value for follows is not confirmed (ENDPOINTS.md §1.6): accept either sign.
    if icon != "person_icon" and not message.rstrip(". ").endswith("followed you"):
        return []
    time_ms = dig(node, "timestamp_ms")
    try:
        when = int(time_ms) / 1000.0
    except (TypeError, ValueError):
        when = 0.0
    followers = []
    users = dig(node, "template", "from_users")
    for ref in users if isinstance(users, list) else []:
        user = dig(ref, "user_results", "result")
        user_id = string(dig(user, "rest_id"))
        if user_id:
            handle = string(dig(user, "core", "screen_name")) or string(
                dig(user, "legacy", "screen_name")
            )
            followers.append(Follower("x", user_id, handle, when))
    return followers


def _legacy_followers(notifications: dict[str, Any]) -> list[Follower]:
    followers = []
    for item in notifications.values():
        if not isinstance(item, dict) or dig(item, "icon", "id") != "person_icon":
            continue
        try:
            when = int(item.get("timestampMs", 0)) / 1000.0
        except (TypeError, ValueError):
            when = 0.0
        entities = dig(item, "message", "entities")
        for entity in entities if isinstance(entities, list) else []:
            user_id = string(dig(entity, "ref", "user", "id"))
            if user_id:
                followers.append(Follower("x", user_id, None, when))
    return followers


def _inbox(document: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("inbox_initial_state", "user_events", "conversation_timeline", "inbox_timeline"):
        value = document.get(key)
        if isinstance(value, dict):
            return value
    return None


def _read_inbox(inbox: dict[str, Any], harvest: Harvest) -> None:
    conversations = inbox.get("conversations")
    if isinstance(conversations, dict):
        for conversation_id, conversation in conversations.items():
            participants = dig(conversation, "participants")
            if not isinstance(participants, list):
                continue
            members = [s for s in (string(dig(p, "user_id")) for p in participants) if s]
            if members:
                harvest.conversations[str(conversation_id)] = members
    entries = inbox.get("entries")
    for entry in entries if isinstance(entries, list) else []:
        message = dig(entry, "message")
        conversation_id = string(dig(message, "conversation_id"))
        sender = string(dig(message, "message_data", "sender_id"))
        if conversation_id and sender:
            senders = harvest.conversation_senders.setdefault(conversation_id, [])
            if sender not in senders:
                senders.append(sender)


ADAPTER = XAdapter()
