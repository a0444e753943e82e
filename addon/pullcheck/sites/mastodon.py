"""Mastodon (and the servers that speak its client API: Pleroma, Akkoma, GoToSocial).

Any host can be an instance, so besides the listed big instances the adapter matches its API
paths anywhere (`any_host`) and then checks that the body looks like Mastodon's. A status is
created with POST /api/v1/statuses and edited with PUT /api/v1/statuses/:id, as JSON (web UI),
an urlencoded form or multipart (other apps). A DM is a status with `visibility: direct`; its
recipients are exactly the `@user@domain` mentions in the text (ENDPOINTS.md §2.1).

Ids are local to the instance that served them; posts are remembered under that local id, which
is what `in_reply_to_id` names when the user replies from the same instance.
"""

from __future__ import annotations

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
from pullcheck.sites.markup import html_to_text
from pullcheck.sites.wire import Compose, Follower, Harvest, SeenPost, WireRequest, WireResponse

_CREATE = re.compile(r"^/api/v1/statuses/?$")
_EDIT = re.compile(r"^/api/v1/statuses/(\w+)/?$")
_STREAMING = re.compile(r"^/api/v1/streaming")
_READ = re.compile(
    r"^/api/v[12]/(?:timelines/|statuses/\w+(?:/context)?/?$|notifications|conversations"
    r"|search|accounts/\w+/statuses|bookmarks|favourites|trends/statuses"
    r"|accounts/verify_credentials)"
)
# Mastodon's web UI starts from a JSON document in its HTML page (app/helpers/application_helper
# `render_initial_state`: `<script id="initial-state" type="application/json">`), escaped so
# that no `</script>` can occur inside it; `meta.me` is the signed-in account's id and
# `accounts[me]` that account. The web UI does not ask verify_credentials at start.
_INITIAL_STATE_MARK = b'id="initial-state"'
# @user or @user@domain, not inside an email address or a URL.
_MENTION = re.compile(r"(?<![\w@/.])@(\w+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)", re.ASCII)

# The web UI shows `error` from a 4xx JSON body in its alert and leaves the compose box as it was
# (mastodon/mastodon app/javascript/mastodon/actions/compose.js: submitComposeFail). 422 is what
# the server itself sends for a status it refuses, so clients do not retry it on their own.
FAILURE = json_failure(422, {"error": HELD_MESSAGE})


class MastodonAdapter:
    name: str = "mastodon"
    default_hosts: tuple[str, ...] = (
        "mastodon.social",
        "mastodon.online",
        "mstdn.social",
        "mas.to",
        "fosstodon.org",
        "hachyderm.io",
        "infosec.exchange",
        "mastodon.world",
        "techhub.social",
        "universeodon.com",
        "mastodon.art",
        "social.vivaldi.net",
    )
    any_host: bool = True
    # Path prefixes for a cheap first test on an unknown host; `paths` is the exact one.
    any_host_paths: tuple[str, ...] = ("/api/v1/", "/api/v2/")
    paths: re.Pattern[str] = re.compile(
        "|".join(p.pattern for p in (_CREATE, _EDIT, _READ, _STREAMING))
    )

    def compose(self, req: WireRequest) -> Compose | None:
        if req.method == "POST" and _CREATE.match(req.path):
            operation, edit_of = "statuses.create", None
        elif req.method == "PUT" and (match := _EDIT.match(req.path)):
            operation, edit_of = "statuses.edit", match.group(1)
        else:
            return None
        body = decode_body(req.body, req.content_type)
        if not isinstance(body, dict) or "status" not in body:
            return None
        status = text_value(body.get("status")) or ""
        spoiler = text_value(body.get("spoiler_text")) or ""
        # The content warning is user text too, shown before the post.
        text = f"{spoiler}\n\n{status}" if spoiler.strip() else status
        mentions = status_mentions(status)
        reply_id = string(body.get("in_reply_to_id"))
        quoted_id = string(body.get("quoted_status_id"))
        visibility = text_value(body.get("visibility")) or ""
        kind: Kind
        target = None
        if visibility == "direct":
            kind = "dm"
        elif reply_id:
            kind = "reply"
        elif quoted_id:
            kind = "quote"
        else:
            kind = "post"
        if reply_id:
            target = ReplyTarget(id=reply_id)
        elif quoted_id:
            target = ReplyTarget(id=quoted_id)
        context = f"edit of {edit_of}" if edit_of else ""
        if visibility == "private":
            context = (context + "; followers only").lstrip("; ")
        draft = Draft(
            platform=self.name,
            kind=kind,
            text=text,
            reply_to=target,
            recipients=mentions if kind == "dm" else [],
            mentions=mentions,
            context=context,
        )
        return Compose(operation, draft, [], FAILURE)

    def harvest(self, resp: WireResponse) -> Harvest | None:
        req = resp.request
        if resp.status != 200 or req.method != "GET":
            return None
        if "html" in resp.content_type.lower():
            return _initial_state(resp.body)
        if not _READ.match(req.path):
            return None
        document = read_json(resp.body)
        if not isinstance(document, dict | list):
            return None
        harvest = Harvest(source=req.path)
        if req.path.rstrip("/").endswith("verify_credentials") and isinstance(document, dict):
            # The signed-in account (CredentialAccount): its `acct` is how this instance's
            # posts name it and how people @mention it.
            harvest.own_id = string(document.get("acct"))
            harvest.own_handle = harvest.own_id
            return harvest if harvest else None
        read_document(document, harvest)
        return harvest if harvest else None

    def harvest_websocket(self, text: str) -> Harvest | None:
        """A streaming frame: `{"event": ..., "payload": "<JSON as a string>"}` (decode twice)."""
        frame = read_json(text.encode("utf-8", errors="replace")) if text else None
        if not isinstance(frame, dict):
            return None
        event = frame.get("event")
        payload = frame.get("payload")
        if event not in ("update", "status.update", "notification", "conversation"):
            return None
        document = (
            read_json(payload.encode("utf-8", errors="replace"))
            if isinstance(payload, str)
            else payload
        )
        if not isinstance(document, dict):
            return None
        harvest = Harvest(source=f"streaming:{event}")
        read_document(document, harvest)
        return harvest if harvest else None


def _initial_state(page: bytes) -> Harvest | None:
    """The signed-in account of a web UI page, from its initial state (nothing else in it is
    read: it also holds the page's access token)."""
    # Three linear searches, no regex: a page is up to megabytes.
    mark = page.find(_INITIAL_STATE_MARK)
    start = page.find(b">", mark) + 1 if mark >= 0 else 0
    end = page.find(b"</script>", start) if start > 0 else -1
    if end < 0:
        return None
    state = read_json(page[start:end])
    me = string(dig(state, "meta", "me"))
    accounts = dig(state, "accounts")
    account = accounts.get(me) if me and isinstance(accounts, dict) else None
    acct = string(dig(account, "acct"))
    if not acct or string(dig(account, "id")) != me:
        return None
    return Harvest(own_id=acct, own_handle=acct, source="initial-state")


def status_mentions(status: str) -> list[str]:
    return list(dict.fromkeys(m.group(1).rstrip(".") for m in _MENTION.finditer(status)))


def read_document(document: Any, harvest: Harvest) -> None:
    """Collect statuses, follows and conversations from any Mastodon API document."""
    grouped_accounts: dict[str, dict[str, Any]] = {}
    if isinstance(document, dict) and isinstance(document.get("notification_groups"), list):
        accounts = document.get("accounts")
        for account in accounts if isinstance(accounts, list) else []:
            account_id = string(dig(account, "id"))
            if account_id:
                grouped_accounts[account_id] = account
    for node in walk_dicts(document):
        if _is_status(node):
            if isinstance(node.get("reblog"), dict):
                continue  # a boost: the real post is the nested `reblog`, walked on its own
            post = _status_post(node)
            if post is not None:
                harvest.posts.append(post)
        elif node.get("type") == "follow":
            if isinstance(node.get("account"), dict):
                follower = _follower(node["account"], node.get("created_at"))
                if follower:
                    harvest.new_followers.append(follower)
            elif isinstance(node.get("sample_account_ids"), list):
                when = node.get("latest_page_notification_at")
                for account_id in node["sample_account_ids"]:
                    account = grouped_accounts.get(str(account_id))
                    follower = _follower(account, when) if account else None
                    if follower:
                        harvest.new_followers.append(follower)
        elif isinstance(node.get("accounts"), list) and "last_status" in node and "id" in node:
            _conversation(node, harvest)


def _is_status(node: dict[str, Any]) -> bool:
    return "content" in node and "visibility" in node and isinstance(node.get("account"), dict)


def _status_post(node: dict[str, Any]) -> SeenPost | None:
    post_id = string(node.get("id"))
    if not post_id:
        return None
    content = text_value(node.get("content")) or ""
    text = html_to_text(content)
    spoiler = text_value(node.get("spoiler_text")) or ""
    if spoiler.strip():
        text = f"{spoiler}\n\n{text}"
    account = node["account"]
    return SeenPost(
        id=post_id,
        platform="mastodon",
        author=string(account.get("acct")),
        text=text,
        in_reply_to=string(node.get("in_reply_to_id")),
        author_id=string(account.get("id")),
    )


def _follower(account: Any, when: Any) -> Follower | None:
    account_id = string(dig(account, "id"))
    if not account_id:
        return None
    return Follower("mastodon", account_id, string(dig(account, "acct")), epoch(when) or 0.0)


def _conversation(node: dict[str, Any], harvest: Harvest) -> None:
    conversation_id = string(node.get("id"))
    members = [s for s in (string(dig(a, "acct")) for a in node["accounts"]) if s]
    if not conversation_id or not members:
        return
    harvest.conversations[conversation_id] = members
    sender = string(dig(node, "last_status", "account", "acct"))
    if sender:
        harvest.conversation_senders[conversation_id] = [sender]


ADAPTER = MastodonAdapter()
