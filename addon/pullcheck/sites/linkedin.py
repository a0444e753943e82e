"""LinkedIn web (voyager API, moving to server-driven UI): posts, comments, messages, invites.

Operations are recognised by stable path and query names (`queryId` prefix
`voyagerContentcreationDashShares.`, `action=createMessage`, `sduiid=...createComment`), never by
the rotating hash after the prefix or the `decorationId` version (ENDPOINTS.md §4). A connection
request with a note is a message to a stranger: kind `connect-note`.
"""

from __future__ import annotations

import re
from typing import Any

from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.sites.adapter import (
    HELD_MESSAGE,
    dig,
    json_failure,
    read_json,
    string,
    walk_dicts,
)
from pullcheck.sites.bodies import decode_body, text_value
from pullcheck.sites.wire import Compose, Harvest, SeenPost, WireRequest, WireResponse

_GRAPHQL = "/voyager/api/graphql"
_NORM_SHARES = re.compile(r"^/voyager/api/contentcreation/normShares/?$")
_NORM_COMMENTS = re.compile(r"^/voyager/api/voyagerSocialDashNormComments/?$")
_SDUI = re.compile(r"^/flagship-web/rsc-action/actions/server-request/?$")
_MESSAGES = re.compile(r"^/voyager/api/voyagerMessagingDashMessengerMessages/?$")
_LEGACY_CONVERSATIONS = re.compile(r"^/voyager/api/messaging/conversations(?:/([^/]+)/events)?/?$")
_INVITE = re.compile(
    r"^/voyager/api/(?:voyagerRelationshipsDashMemberRelationships"
    r"|growth/normInvitations)/?$"
)
_READ = re.compile(r"^/voyager/api/(?:graphql|feed/|voyagerMessagingGraphQL/|me/?$)")
# `GET /voyager/api/me`: the signed-in member (`com.linkedin.voyager.common.Me`), whose
# `miniProfile` (inline, or `*miniProfile` naming an entry of `included` in the normalized form
# the web app asks for) has the public identifier (the `/in/<id>` of the profile URL) and the
# profile URN messaging uses.
_ME = re.compile(r"^/voyager/api/me/?$")
_MINI_PROFILE = "com.linkedin.voyager.identity.shared.MiniProfile"
_PUBLIC_ID = re.compile(r"[\w-]{3,100}")
_PROFILE_URN = re.compile(r"urn:li:fsd_profile:[\w-]+")
_UPDATE = "com.linkedin.voyager.dash.feed.Update"
_COMMENT = "com.linkedin.voyager.dash.social.Comment"
_MESSAGE_CREATE = "com.linkedin.voyager.messaging.create.MessageCreate"

# Rest.li's error document is `{"status": n, "message": text}`; 422 is the status Rest.li gives
# a request it refuses as invalid, which the web client reports as a failed post or message
# ("couldn't send") and keeps the text; it does not resend it on its own. Not checked live.
FAILURE = json_failure(422, {"status": 422, "message": HELD_MESSAGE, "serviceErrorCode": 0})


class LinkedInAdapter:
    name: str = "linkedin"
    default_hosts: tuple[str, ...] = ("www.linkedin.com", "linkedin.com")
    any_host: bool = False
    any_host_paths: tuple[str, ...] = ()
    paths: re.Pattern[str] = re.compile(r"^/(?:voyager/api/|flagship-web/rsc-action/)")

    def compose(self, req: WireRequest) -> Compose | None:
        if req.method != "POST":
            return None
        path = req.path
        if path == _GRAPHQL or path == _GRAPHQL + "/":
            query_id = req.query.get("queryId", "")
            if not query_id.startswith("voyagerContentcreationDashShares."):
                return None
            body = self._body(req)
            post = dig(body, "variables", "post")
            if not isinstance(post, dict):
                return None
            edit = "resourceKey" in (body.get("variables") or {}) or "updateUrn" in post
            return self._post("shares.graphql", post.get("commentary"), edit=edit)
        if _NORM_SHARES.match(path):
            return self._post("normShares", self._body(req).get("commentaryV2"), edit=False)
        if _NORM_COMMENTS.match(path):
            body = self._body(req)
            return self._comment(
                "normComments",
                text_value(dig(body, "commentary", "text")),
                string(body.get("threadUrn")),
                dig(body, "commentary", "attributesV2"),
            )
        if _SDUI.match(path):
            if req.query.get("sduiid") != "com.linkedin.sdui.comments.createComment":
                return None
            return self._sdui_comment(self._body(req))
        if _MESSAGES.match(path):
            if req.query.get("action") != "createMessage":
                return None
            return self._message(self._body(req))
        match = _LEGACY_CONVERSATIONS.match(path)
        if match:
            if req.query.get("action") != "create":
                return None
            return self._legacy_message(self._body(req), match.group(1))
        if _INVITE.match(path):
            action = req.query.get("action", "")
            if path.endswith("MemberRelationships") and not action.startswith(
                "verifyQuotaAndCreate"
            ):
                return None
            return self._invite(self._body(req))
        return None

    @staticmethod
    def _body(req: WireRequest) -> dict[str, Any]:
        body = decode_body(req.body, req.content_type)
        return body if isinstance(body, dict) else {}

    def _post(self, operation: str, commentary: Any, edit: bool) -> Compose | None:
        text = text_value(dig(commentary, "text"))
        if text is None:
            return None
        draft = Draft(
            platform=self.name,
            kind="post",
            text=text,
            mentions=_profile_mentions(commentary),
            context="edit" if edit else "",
        )
        return Compose(operation, draft, [], FAILURE)

    def _comment(
        self, operation: str, text: str | None, thread: str | None, attributes: Any
    ) -> Compose | None:
        if text is None:
            return None
        draft = Draft(
            platform=self.name,
            kind="comment",
            text=text,
            reply_to=ReplyTarget(id=thread) if thread else None,
            mentions=_profile_mentions(attributes),
        )
        return Compose(operation, draft, [], FAILURE)

    def _sdui_comment(self, body: dict[str, Any]) -> Compose | None:
        payload = dig(body, "serverRequest", "requestedArguments", "payload")
        states = body.get("states")
        states = [s for s in (states if isinstance(states, list) else []) if isinstance(s, dict)]
        # The text is not in the payload: it is the state named by the comment field binding.
        key = string(dig(payload, "commentFieldBinding", "key"))
        text = next(
            (text_value(s.get("value")) for s in states if key and s.get("key") == key), None
        )
        if text is None:
            strings = [
                v
                for v in (
                    text_value(s.get("value"))
                    for s in states
                    if s.get("originalProtoCase", "stringValue") == "stringValue"
                )
                if v
            ]
            text = max(strings, key=len) if strings else None
        activity = string(
            dig(payload, "threadUrn", "threadUrnActivityThreadUrn", "activityUrn", "activityId")
        )
        thread = f"urn:li:activity:{activity}" if activity else None
        if thread is None and key:
            found = re.search(r"urn:li:(?:activity|ugcPost):\d+", key)
            thread = found.group(0) if found else None
        return self._comment("sdui.createComment", text, thread, None)

    def _message(self, body: dict[str, Any]) -> Compose | None:
        message = body.get("message")
        text = text_value(dig(message, "body", "text"))
        if text is None:
            return None
        conversation = string(dig(message, "conversationUrn"))
        named = body.get("hostRecipientUrns")
        recipients = [s for s in (string(r) for r in named) if s] if isinstance(named, list) else []
        sender = string(body.get("mailboxUrn"))
        draft = Draft(
            platform=self.name,
            kind="dm",
            text=text,
            recipients=[r for r in recipients if r != sender],
            # No conversation yet: the first message to these people.
            prior_conversation=False if (recipients and not conversation) else None,
        )
        return Compose(
            "createMessage", draft, [conversation] if conversation else [], FAILURE, sender=sender
        )

    def _legacy_message(self, body: dict[str, Any], conversation: str | None) -> Compose | None:
        create = body.get("conversationCreate") if conversation is None else body
        event = dig(create, "eventCreate", "value", _MESSAGE_CREATE)
        text = text_value(dig(event, "attributedBody", "text")) or text_value(dig(event, "body"))
        if text is None:
            return None
        named = dig(create, "recipients")
        recipients = [s for s in (string(r) for r in named) if s] if isinstance(named, list) else []
        context = "InMail" if dig(create, "subtype") == "INMAIL" else ""
        draft = Draft(
            platform=self.name,
            kind="dm",
            text=text,
            recipients=recipients,
            prior_conversation=False if conversation is None and recipients else None,
            context=context,
        )
        return Compose(
            "messaging.conversations", draft, [conversation] if conversation else [], FAILURE
        )

    def _invite(self, body: dict[str, Any]) -> Compose | None:
        text = text_value(body.get("customMessage")) or text_value(body.get("message"))
        if not text:
            return None  # an invitation without a note carries no draft
        invitee = string(dig(body, "invitee", "inviteeUnion", "memberProfile")) or string(
            dig(
                body,
                "invitee",
                "com.linkedin.voyager.growth.invitation.InviteeProfile",
                "profileId",
            )
        )
        kind: Kind = "connect-note"
        draft = Draft(
            platform=self.name,
            kind=kind,
            text=text,
            recipients=[invitee] if invitee else [],
            prior_conversation=False,
            context="connection request note",
        )
        return Compose("invitation", draft, [], FAILURE)

    def harvest(self, resp: WireResponse) -> Harvest | None:
        req = resp.request
        if resp.status != 200 or req.method != "GET" or not _READ.match(req.path):
            return None
        document = read_json(resp.body)
        if not isinstance(document, dict):
            return None
        harvest = Harvest(source=req.query.get("queryId", req.path).split(".", 1)[0])
        if _ME.match(req.path):
            _signed_in(document, harvest)
            return harvest if harvest else None
        for node in walk_dicts(document):
            kind = node.get("$type")
            if kind == _UPDATE:
                post = _update_post(node)
                if post:
                    harvest.posts.append(post)
            elif kind == _COMMENT:
                post = _comment_post(node)
                if post:
                    harvest.posts.append(post)
            elif isinstance(node.get("conversationParticipants"), list):
                _conversation(node, harvest)
        return harvest if harvest else None

    def harvest_websocket(self, text: str) -> Harvest | None:
        return None


def _signed_in(document: dict[str, Any], harvest: Harvest) -> None:
    data = document.get("data")
    me: dict[str, Any] = data if isinstance(data, dict) else document
    profile = me.get("miniProfile")
    if not isinstance(profile, dict):
        wanted = string(me.get("*miniProfile")) or string(me.get("miniProfile"))
        included = document.get("included")
        profiles = [
            item
            for item in (included if isinstance(included, list) else [])
            if isinstance(item, dict) and item.get("$type") == _MINI_PROFILE
        ]
        matching = [p for p in profiles if wanted and p.get("entityUrn") == wanted]
        profile = matching[0] if matching else None
    if not isinstance(profile, dict):
        return
    public_id = string(profile.get("publicIdentifier"))
    if public_id and public_id != "UNKNOWN" and _PUBLIC_ID.fullmatch(public_id):
        harvest.own_handle = public_id
    urn = string(profile.get("dashEntityUrn"))
    if urn and _PROFILE_URN.fullmatch(urn):
        harvest.own_id = urn


def _profile_mentions(attributes: Any) -> list[str]:
    found: list[str] = []
    for node in walk_dicts(attributes, max_nodes=2_000):
        for value in node.values():
            if isinstance(value, str):
                found.extend(_PROFILE_URN.findall(value))
    return list(dict.fromkeys(found))


def _update_post(node: dict[str, Any]) -> SeenPost | None:
    post_id = string(dig(node, "metadata", "backendUrn"))
    if not post_id:
        entity = string(node.get("entityUrn")) or ""
        found = re.search(r"urn:li:(?:activity|ugcPost):\d+", entity)
        post_id = found.group(0) if found else None
    if not post_id:
        return None
    return SeenPost(
        id=post_id,
        platform="linkedin",
        author=string(dig(node, "actor", "name", "text")),
        text=text_value(dig(node, "commentary", "text", "text")) or "",
        author_id=_profile_of(string(dig(node, "actor", "navigationContext", "actionTarget"))),
    )


def _comment_post(node: dict[str, Any]) -> SeenPost | None:
    comment_id = string(node.get("urn")) or string(node.get("entityUrn"))
    if not comment_id:
        return None
    author = string(dig(node, "commenter", "title", "text"))
    return SeenPost(
        id=comment_id,
        platform="linkedin",
        author=author,
        text=text_value(dig(node, "commentary", "text")) or "",
        in_reply_to=string(node.get("parentCommentUrn")) or string(node.get("threadUrn")),
    )


def _conversation(node: dict[str, Any], harvest: Harvest) -> None:
    """A messenger conversation: `entityUrn` urn:li:msg_conversation:(<mailbox>,<thread>) and
    `conversationParticipants[].hostIdentityUrn`. The shape comes from public client code and one
    captured response, not from the fixtures: read leniently."""
    conversation = string(node.get("entityUrn")) or string(node.get("backendUrn"))
    if not conversation or not conversation.startswith("urn:li:msg_conversation:"):
        return
    members = [
        s
        for s in (string(dig(p, "hostIdentityUrn")) for p in node["conversationParticipants"])
        if s
    ]
    if members:
        harvest.conversations[conversation] = members
    mailbox = _PROFILE_URN.search(conversation)
    if mailbox and harvest.own_id is None:
        harvest.own_id = mailbox.group(0)  # the mailbox owner is the first URN in the id


def _profile_of(target: str | None) -> str | None:
    """A profile URL (`https://www.linkedin.com/in/<slug>?...`) without tracking parameters."""
    if not target:
        return None
    return target.split("?", 1)[0].rstrip("/") or None


ADAPTER = LinkedInAdapter()
