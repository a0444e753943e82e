"""`POST /__pullcheck__/events` and `POST /__pullcheck__/decide`: a page's own verdicts and
holds.

`events` is a long poll for this origin's verdicts and holds after `since` (with
`config_error`: a rejected config edit, one line, or null). An open poll is also how the proxy
knows the page is still there (`PageTokens.poll_opened`/`poll_closed`): it keeps the page's
token alive and lets a held post wait for this page instead of being refused. `decide` applies
{hold_id, decision: send|edit} to a held post of this origin only.
"""

from __future__ import annotations

from typing import Literal

from mitmproxy import http
from pydantic import Field

from pullcheck.proxy.endpoint_http import (
    TOKEN_HEADER,
    Body,
    EndpointState,
    config_error,
    json_response,
    parse_body,
)
from pullcheck.proxy.holds import ENDED_MESSAGES

# The banner re-polls right away, so a long poll only needs to outlast idle-connection timeouts.
MAX_WAIT_S = 25.0


class EventsRequest(Body):
    since: int = Field(default=0, ge=0)
    wait: float = Field(default=MAX_WAIT_S, ge=0, le=MAX_WAIT_S)


class DecideRequest(Body):
    hold_id: str = Field(max_length=100)
    decision: Literal["send", "edit"]


async def events(flow: http.HTTPFlow, state: EndpointState, origin: str) -> http.Response:
    ask = parse_body(flow, EventsRequest)
    if ask is None:
        return json_response(400, {"error": "expected JSON {since, wait}"})
    token = flow.request.headers.get(TOKEN_HEADER)
    tokens = state.pages
    tokens.poll_opened(token)
    try:
        found = await state.feed.wait(origin, ask.since, ask.wait)
    finally:
        tokens.poll_closed(token)
    pending = [hold.public() for hold in state.holds.pending(origin)]
    return json_response(
        200,
        {
            "events": found,
            "last": state.feed.last_seq(origin),
            "pending": pending,
            "config_error": config_error(state),
        },
    )


async def decide(flow: http.HTTPFlow, state: EndpointState, origin: str) -> http.Response:
    decision = parse_body(flow, DecideRequest)
    if decision is None:
        return json_response(400, {"error": "expected JSON {hold_id, decision: send|edit}"})
    # `origin` binds the decision to this page's holds: another origin's id is "unknown".
    status = state.holds.decide_status(decision.hold_id, decision.decision, origin=origin)
    if status != "applied":
        return json_response(409, {"ok": False, "status": status, "error": ENDED_MESSAGES[status]})
    return json_response(200, {"ok": True, "decision": decision.decision})
