"""X's public API (`api.x.com`, `api.twitter.com`): what scripts, bots and API clients send.

The web app speaks GraphQL (see `x.py`); clients such as tweepy, twitter-api-v2 or a
scheduling tool speak the documented REST API instead:

- v2 `POST /2/tweets`, JSON `{text, reply: {in_reply_to_tweet_id}, quote_tweet_id, ...}`.
- v2 DMs: `POST /2/dm_conversations/with/{participant_id}/messages` and
  `POST /2/dm_conversations/{dm_conversation_id}/messages`, JSON `{text}` (the recipient is in
  the path); `POST /2/dm_conversations`, JSON `{conversation_type: "Group", participant_ids,
  message: {text}}` starts a group.
- v1.1 `POST /1.1/statuses/update.json`: `status`, `in_reply_to_status_id`, `attachment_url`
  as a form body or only in the query string (tweepy's `API.update_status` sends them there).
- v1.1 `POST /1.1/direct_messages/events/new.json`, JSON
  `{event: {type: "message_create", message_create: {target: {recipient_id},
  message_data: {text}}}}`.

A held request is answered with the error document each API's clients read (see `V2_FAILURE`,
`V11_FAILURE`). Media uploads (`upload.x.com`, `/2/media/upload`) are not compose requests.
Read side: v2 tweet lookups, timelines and mentions (`data` + `includes.users`), v2 DM events,
and v1.1 status timelines feed the posts seen and the conversations.

Nothing here imports mitmproxy; `x.py` routes the API paths here.
"""

from __future__ import annotations

import re
from typing import Any

from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.sites.adapter import HELD_MESSAGE, dig, json_failure, read_json, string
from pullcheck.sites.bodies import decode_body, text_value
from pullcheck.sites.wire import (
    Compose,
    FailureResponse,
    Harvest,
    SeenPost,
    WireRequest,
    WireResponse,
)

_V2_TWEETS = re.compile(r"^/2/tweets$")
_V2_DM_WITH = re.compile(r"^/2/dm_conversations/with/(\d+)/messages$")
_V2_DM_IN = re.compile(r"^/2/dm_conversations/([\w:-]+)/messages$")
_V2_DM_NEW = re.compile(r"^/2/dm_conversations$")
_V11_STATUS = re.compile(r"^/1\.1/statuses/update\.json$")
_V11_DM = re.compile(r"^/1\.1/direct_messages/events/new\.json$")
# Read responses worth a look: tweets, users' timelines and mentions, DM events.
_V2_READ = re.compile(r"^/2/(?:tweets|users|dm_events|dm_conversations)(?:/[\w:/-]*)?$")
_V2_OWN_TIMELINE = re.compile(r"^/2/users/(\d+)/timelines/reverse_chronological$")
_V11_READ = re.compile(
    r"^/1\.1/statuses/(?:home_timeline|mentions_timeline|user_timeline|show|lookup)\.json$"
)
_OAUTH_TOKEN = re.compile(r'oauth_token="(\d+)-')
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})\b")
# The post id in a post's URL (`attachment_url` of a quote); the web app's `x.py` reads it too.
STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")
_CONVERSATION_SPLIT = re.compile(r"[-:]")

# Every path a compose or read above can start with (the X adapter's path regex includes it).
PATHS = re.compile(
    "|".join(
        p.pattern
        for p in (
            _V2_TWEETS,
            _V2_DM_WITH,
            _V2_DM_IN,
            _V2_DM_NEW,
            _V11_STATUS,
            _V11_DM,
            _V2_READ,
            _V11_READ,
        )
    )
)

# API v2 answers a refused write with an RFC 7807 problem (`title`, `type`, `status`, `detail`),
# 403 for "you may not post this" (its duplicate-content refusal has this shape). `errors` is
# added because clients build their message from it: tweepy's HTTPException appends each
# `errors[].message` ("403 Forbidden\nNot sent: held by pullcheck...", raised as
# `tweepy.errors.Forbidden`) and falls back to `detail` only without one; twitter-api-v2's
# ApiResponseError formats `title: detail (see type)` only when `errors` is non-empty and its
# first entry has no `code`. No `code` here, so both read it as a v2 error. 403 is neither
# retried by tweepy (unless the user set retry_count) nor by twitter-api-v2, unlike 429/5xx.
# Served as application/json: twitter-api-v2 parses a body only when its content type says so.
V2_FAILURE: FailureResponse = json_failure(
    403,
    {
        "title": "Forbidden",
        "type": "about:blank",
        "status": 403,
        "detail": HELD_MESSAGE,
        "errors": [{"message": HELD_MESSAGE}],
    },
)

# API v1.1 errors are `{"errors": [{"code", "message"}]}`: tweepy's `API` raises
# `Forbidden("403 Forbidden\n<code> - <message>")`, twitter-api-v2 "Request failed with code
# 403 - <message> (Twitter code <code>)". The code is deliberately not one X documents: clients
# act on documented codes (187 duplicate: "already posted", skip it; 88 rate limit: wait and
# resend; 32/89/135/215 authentication: sign in again), and a hold is none of those.
V11_HELD_CODE = 403
V11_FAILURE: FailureResponse = json_failure(
    403, {"errors": [{"code": V11_HELD_CODE, "message": HELD_MESSAGE}]}
)


def is_api_path(path: str) -> bool:
    return path.startswith(("/2/", "/1.1/"))


def account_from(req: WireRequest) -> str | None:
    """The user id of an OAuth 1.0a user token (`oauth_token="<user id>-..."`): X's access
    tokens begin with the id of the account they act for. OAuth 2 bearer tokens say nothing."""
    match = _OAUTH_TOKEN.search(req.headers.get("authorization", ""))
    return match.group(1) if match else None


def one_to_one_conversation(first: str, second: str) -> str:
    """X's id of a two-person conversation: the two user ids, smaller first, joined by '-'."""
    low, high = sorted((first, second), key=lambda user: (len(user), user))
    return f"{low}-{high}"


def conversation_members(conversation_id: str) -> list[str]:
    """A 1:1 conversation id is the two user ids joined by '-' (':' inside XChat)."""
    parts = [p for p in _CONVERSATION_SPLIT.split(conversation_id) if p.isdigit()]
    return parts if len(parts) == 2 else []


def compose(req: WireRequest, platform: str) -> Compose | None:
    """The draft of an API write, or None for any other request (uploads, likes, follows)."""
    if req.method != "POST":
        return None
    path = req.path
    if _V2_TWEETS.match(path):
        return _v2_tweet(req, platform)
    match = _V2_DM_WITH.match(path)
    if match:
        return _v2_dm_with(req, platform, match.group(1))
    if _V2_DM_NEW.match(path):
        return _v2_group(req, platform)
    match = _V2_DM_IN.match(path)
    if match:
        return _v2_dm_in(req, platform, match.group(1))
    if _V11_STATUS.match(path):
        return _v11_status(req, platform)
    if _V11_DM.match(path):
        return _v11_dm(req, platform)
    return None


def _json_body(req: WireRequest) -> dict[str, Any]:
    body = decode_body(req.body, req.content_type)
    return body if isinstance(body, dict) else {}


def _v2_tweet(req: WireRequest, platform: str) -> Compose | None:
    body = _json_body(req)
    text = text_value(body.get("text"))
    if text is None:
        return None  # media or a poll alone: no words to judge
    reply_id = string(dig(body, "reply", "in_reply_to_tweet_id"))
    quoted = string(body.get("quote_tweet_id"))
    kind: Kind
    if reply_id:
        kind, target = "reply", ReplyTarget(id=reply_id)
    elif quoted:
        # Judged against the quoted post, like a reply against its parent.
        kind, target = "quote", ReplyTarget(id=quoted)
    else:
        kind, target = "post", None
    context = ""
    if string(dig(body, "edit_options", "previous_post_id")):
        context = "edit of a post"
    elif string(body.get("community_id")):
        context = "post in a community"
    draft = Draft(
        platform=platform,
        kind=kind,
        text=text,
        reply_to=target,
        mentions=mentions(text),
        context=context,
    )
    return Compose("api/2/tweets", draft, [], V2_FAILURE, sender=account_from(req))


def _dm(platform: str, text: str, recipients: list[str], **extra: Any) -> Draft:
    return Draft(
        platform=platform,
        kind="dm",
        text=text,
        recipients=recipients,
        mentions=mentions(text),
        **extra,
    )


def _v2_dm_with(req: WireRequest, platform: str, participant: str) -> Compose | None:
    text = text_value(_json_body(req).get("text"))
    if text is None:
        return None
    sender = account_from(req)
    # The one-to-one conversation may already exist: its id lets memory say whether the other
    # side ever wrote in it.
    conversations = [one_to_one_conversation(sender, participant)] if sender else []
    return Compose(
        "api/2/dm_conversations/with/messages",
        _dm(platform, text, [participant]),
        conversations,
        V2_FAILURE,
        sender=sender,
    )


def _v2_dm_in(req: WireRequest, platform: str, conversation: str) -> Compose | None:
    text = text_value(_json_body(req).get("text"))
    if text is None:
        return None
    sender = account_from(req)
    recipients = without_sender(conversation_members(conversation), sender)
    return Compose(
        "api/2/dm_conversations/messages",
        _dm(platform, text, recipients),
        [conversation],
        V2_FAILURE,
        sender=sender,
    )


def _v2_group(req: WireRequest, platform: str) -> Compose | None:
    body = _json_body(req)
    text = text_value(dig(body, "message", "text"))
    if text is None:
        return None
    sender = account_from(req)
    ids = body.get("participant_ids")
    recipients = [s for s in (string(i) for i in (ids if isinstance(ids, list) else [])) if s]
    recipients = [r for r in dict.fromkeys(recipients) if r != sender]
    draft = _dm(
        platform, text, recipients, context=f"new group conversation with {len(recipients)} people"
    )
    return Compose("api/2/dm_conversations", draft, [], V2_FAILURE, sender=sender)


def _v11_status(req: WireRequest, platform: str) -> Compose | None:
    # Parameters travel in the query string (tweepy) or a form body; the body wins.
    fields: dict[str, Any] = dict(req.query)
    body = decode_body(req.body, req.content_type)
    if isinstance(body, dict):
        fields.update(body)
    text = text_value(fields.get("status"))
    if text is None:
        return None
    reply_id = string(fields.get("in_reply_to_status_id"))
    quoted = STATUS_ID.search(text_value(fields.get("attachment_url")) or "")
    kind: Kind
    if reply_id:
        kind, target = "reply", ReplyTarget(id=reply_id)
    elif quoted:
        kind, target = "quote", ReplyTarget(id=quoted.group(1))
    else:
        kind, target = "post", None
    draft = Draft(platform=platform, kind=kind, text=text, reply_to=target, mentions=mentions(text))
    return Compose("api/1.1/statuses/update", draft, [], V11_FAILURE, sender=account_from(req))


def _v11_dm(req: WireRequest, platform: str) -> Compose | None:
    create = dig(_json_body(req), "event", "message_create")
    text = text_value(dig(create, "message_data", "text"))
    recipient = string(dig(create, "target", "recipient_id"))
    if text is None or recipient is None:
        return None
    sender = account_from(req)
    conversations = [one_to_one_conversation(sender, recipient)] if sender else []
    return Compose(
        "api/1.1/direct_messages/events/new",
        _dm(platform, text, [recipient]),
        conversations,
        V11_FAILURE,
        sender=sender,
    )


# -- read side ---------------------------------------------------------------------------------


def is_read_path(path: str) -> bool:
    return bool(_V2_READ.match(path) or _V11_READ.match(path))


def harvest(resp: WireResponse, platform: str) -> Harvest | None:
    req = resp.request
    if resp.status != 200 or req.method != "GET":
        return None
    path = req.path
    if _V2_READ.match(path):
        document = read_json(resp.body)
        if not isinstance(document, dict):
            return None
        harvest = Harvest(own_id=account_from(req), source=f"api{path}")
        own = _V2_OWN_TIMELINE.match(path)
        if own and not harvest.own_id:
            harvest.own_id = own.group(1)
        if path == "/2/users/me":
            # The authenticating user (`data: {id, name, username}`).
            me = string(dig(document, "data", "id"))
            harvest.own_id = harvest.own_id or me
            if me and me == harvest.own_id:
                harvest.own_handle = string(dig(document, "data", "username"))
        _v2_document(document, platform, harvest)
        return harvest if harvest else None
    if _V11_READ.match(path):
        document = read_json(resp.body)
        statuses = document if isinstance(document, list) else [document]
        harvest = Harvest(own_id=account_from(req), source=f"api{path}")
        for status in statuses:
            post = _v11_post(status, platform)
            if post is not None:
                harvest.posts.append(post)
        return harvest if harvest else None
    return None


def _v2_document(document: dict[str, Any], platform: str, harvest: Harvest) -> None:
    includes = document.get("includes")
    users = dig(includes, "users")
    handles = {
        user_id: handle
        for user_id, handle in (
            (string(dig(user, "id")), string(dig(user, "username")))
            for user in (users if isinstance(users, list) else [])
        )
        if user_id and handle
    }
    data = document.get("data")
    objects: list[Any] = list(data) if isinstance(data, list) else [data]
    included = dig(includes, "tweets")
    objects += included if isinstance(included, list) else []
    for node in objects:
        if not isinstance(node, dict):
            continue
        if "event_type" in node:
            _dm_event(node, harvest)
        elif "text" in node and "id" in node and "username" not in node:
            post = _v2_post(node, platform, handles)
            if post is not None:
                harvest.posts.append(post)


def _v2_post(node: dict[str, Any], platform: str, handles: dict[str, str]) -> SeenPost | None:
    post_id = string(node.get("id"))
    if not post_id:
        return None
    # A long post's `text` is cut; `note_tweet.text` (when requested) is the whole of it.
    text = text_value(dig(node, "note_tweet", "text")) or text_value(node.get("text")) or ""
    author_id = string(node.get("author_id"))
    parent = None
    references = node.get("referenced_tweets")
    for reference in references if isinstance(references, list) else []:
        if dig(reference, "type") == "replied_to":
            parent = string(dig(reference, "id"))
    return SeenPost(
        id=post_id,
        platform=platform,
        author=handles.get(author_id) if author_id else None,
        text=text,
        in_reply_to=parent,
        author_id=author_id,
    )


def _dm_event(node: dict[str, Any], harvest: Harvest) -> None:
    conversation = string(node.get("dm_conversation_id"))
    if not conversation:
        return
    members = conversation_members(conversation)
    # Group conversations have no ids in their id: their events may list the participants.
    listed = node.get("participant_ids")
    for member in listed if isinstance(listed, list) else []:
        member_id = string(member)
        if member_id and member_id not in members:
            members.append(member_id)
    if members:
        known = harvest.conversations.setdefault(conversation, [])
        known.extend(m for m in members if m not in known)
    sender = string(node.get("sender_id"))
    if node.get("event_type") == "MessageCreate" and sender:
        senders = harvest.conversation_senders.setdefault(conversation, [])
        if sender not in senders:
            senders.append(sender)


def _v11_post(status: Any, platform: str) -> SeenPost | None:
    if not isinstance(status, dict):
        return None
    post_id = string(status.get("id_str")) or string(status.get("id"))
    if not post_id:
        return None
    text = (
        text_value(dig(status, "extended_tweet", "full_text"))
        or text_value(status.get("full_text"))
        or text_value(status.get("text"))
        or ""
    )
    user = status.get("user")
    return SeenPost(
        id=post_id,
        platform=platform,
        author=string(dig(user, "screen_name")),
        text=text,
        in_reply_to=string(status.get("in_reply_to_status_id_str")),
        author_id=string(dig(user, "id_str")),
    )


def mentions(text: str) -> list[str]:
    """The `@handles` in a draft, first occurrence first, each once."""
    return list(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text)))


def without_sender(members: list[str], sender: str | None) -> list[str]:
    """A conversation's members other than the sender (all of them if the sender is unknown)."""
    if sender and sender in members:
        return [m for m in members if m != sender]
    return members
