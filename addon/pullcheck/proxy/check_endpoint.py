"""`POST /__pullcheck__/check`: the live verdict for the draft in the compose box.

The draft gets what the proxy's memory knows of this page's host (the post it answers, the
conversation's members) through the same `memory.enrich` a compose request off the wire uses,
but learning nothing: a live check is not a send.

It is judged on the event loop (a thread hop would cost more than a usual draft's judgement),
so it gets the same bounds as a send (`judging.bounded_draft`): at most `MAX_TEXT_CHARS`
characters and `MAX_ITEMS` recipients, whatever a page puts in the 50,000 characters a body
may carry. The answer says when the text was cut, as the send-time verdict does.
"""

from __future__ import annotations

import time

from mitmproxy import http
from pydantic import Field

from pullcheck.models import Draft, Kind, ReplyTarget, Verdict
from pullcheck.proxy import judging
from pullcheck.proxy.endpoint_http import (
    TOKEN_HEADER,
    Body,
    EndpointState,
    config_error,
    json_response,
    parse_body,
    platform_of,
    verdict_json,
)
from pullcheck.proxy.trust import history_scope, scope_of
from pullcheck.sites.wire import Compose, FailureResponse


class CheckRequest(Body):
    text: str = ""
    kind: Kind = "post"
    platform: str | None = None
    reply_to_id: str | None = Field(default=None, max_length=200)
    reply_to_author: str | None = Field(default=None, max_length=200)
    recipients: list[str] = Field(default_factory=list, max_length=100)
    conversation_id: str | None = Field(default=None, max_length=200)
    links: list[str] = Field(default_factory=list, max_length=100)


def draft_of(check: CheckRequest, platform: str, state: EndpointState, scope: str = "") -> Draft:
    """The draft plus what the proxy's memory knows of this page's `scope` (the parent post,
    the recipient): see `pullcheck.proxy.trust`."""
    reply_to = None
    if check.reply_to_id or check.reply_to_author:
        reply_to = ReplyTarget(id=check.reply_to_id, author=check.reply_to_author)
    draft = Draft(
        platform=platform,
        kind=check.kind,
        text=check.text,
        reply_to=reply_to,
        recipients=[r.lstrip("@") for r in check.recipients],
        links=check.links,
        scope=history_scope(scope),
    )
    memory = getattr(state, "memory", None)
    if memory is None:
        return draft
    recipients = list(draft.recipients)
    if check.conversation_id:
        conversation = memory.conversations.get(platform, check.conversation_id, scope)
        if conversation is not None:
            recipients.extend(conversation.members)
    if recipients != draft.recipients:
        draft = draft.model_copy(update={"recipients": recipients})
    # The same enrichment as a compose request off the wire, but with no conversation ids:
    # memory notes a first send into a conversation, and a live check is not a send.
    compose = Compose(
        operation="banner-check",
        draft=draft,
        conversation_ids=[],
        failure=FailureResponse(204, {}, b""),
    )
    return memory.enrich(platform, compose, scope=scope)


async def check(flow: http.HTTPFlow, state: EndpointState, origin: str) -> http.Response:
    started = time.perf_counter()
    asked = parse_body(flow, CheckRequest)
    if asked is None:
        return json_response(
            400, {"error": "expected JSON {text, kind, platform, reply_to_id, ...}"}
        )
    platform = platform_of(flow, state, asked.platform)
    request = flow.request
    scope = scope_of(getattr(state, "route", None), platform, request.host.lower(), request.port)
    draft, truncated = judging.bounded_draft(draft_of(asked, platform, state, scope))
    verdict = state.engine.judge(draft)
    _count_live_check(flow, state, origin, platform, asked.text, verdict)
    return json_response(
        200,
        {
            "platform": platform,
            "kind": draft.kind,
            "reply_to": draft.reply_to.model_dump() if draft.reply_to else None,
            "verdict": verdict_json(verdict),
            "truncated": truncated,
            "mode": getattr(state, "mode", "warn"),
            "config_error": config_error(state),
            "ms": round((time.perf_counter() - started) * 1000, 3),
        },
    )


def _count_live_check(
    flow: http.HTTPFlow,
    state: EndpointState,
    origin: str,
    platform: str,
    text: str,
    verdict: Verdict,
) -> None:
    """ "Your numbers" count the draft (once, however many pauses it is checked at), off the
    event loop like every other count."""
    tally = getattr(state, "tally", None)
    if tally is None or not text.strip():
        return
    page = flow.request.headers.get(TOKEN_HEADER, "")

    def count() -> None:
        tally.checked_live(page, origin, platform, text, verdict)

    later = getattr(state, "later", None)
    if later is None:
        count()  # no background writer (a bare state in tests): the tally never raises
    else:
        later("tally", count)
