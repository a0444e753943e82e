"""Holding a flagged compose request until the user decides, and what its client gets back.

A plain service the add-on's hooks hand a held request to, on a small seam: a `HoldRequest`
(what the hold needs to know of the request and its client) in, and an `http.Response` out, the
answer the client gets instead of the site's, or None: the request goes upstream now, once.

- A retry of a request already held (same fingerprint, same client address) joins that hold:
  at most one of its flows goes upstream; the others get the site's answer to that one send
  (`SENT_ANSWER_WAIT_S` at most), or a "duplicate" refusal.
- No page of the origin open (with `holds.without_page: reject`), or too many holds already:
  refused at once with the site's own failure response carrying the findings.
- "edit", a timeout, a disconnect or a shutdown: the site's failure response, nothing sent.

The hook keeps the flow; this keeps which flows wait, which were released and the answers
joined retries wait for, all bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, NamedTuple

from mitmproxy import http

from pullcheck.proxy import refusal
from pullcheck.proxy.endpoint_http import verdict_json
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.holds import HeldPost, Hold, request_fingerprint
from pullcheck.proxy.judge_flow import Judged
from pullcheck.proxy.pages import page_tokens
from pullcheck.proxy.provenance import provenance
from pullcheck.proxy.state import ProxyState
from pullcheck.sites.adapter import HELD_MESSAGE

# Holds and decisions: `pullcheck run` shows this logger's INFO lines on the terminal.
hold_log = logging.getLogger("pullcheck.holds")

# Released flows waiting for the site's answer; bounded in case answers never come.
MAX_RELEASED = 4096
# A joined retry of a sent hold waits this long for the site's answer to the one send.
SENT_ANSWER_WAIT_S = 60.0


class HoldRequest(NamedTuple):
    """What holding needs to know of a request and its client."""

    flow_id: str
    client_id: str  # the client connection: its disconnect ends the wait
    client_ip: str | None  # a retry joins a hold only from the same address
    fingerprint: str  # `holds.request_fingerprint`: method, URL, body and Origin
    sent_from: str | None  # the request's `Origin` header
    request_origin: str  # scheme://host[:port] the request is addressed to
    host: str
    port: int

    @classmethod
    def of(cls, flow: http.HTTPFlow) -> HoldRequest:
        req = flow.request
        peer = flow.client_conn.peername
        return cls(
            flow_id=flow.id,
            client_id=flow.client_conn.id,
            client_ip=str(peer[0]) if peer else None,
            fingerprint=request_fingerprint(
                req.method, req.pretty_url, req.raw_content or b"", req.headers.get("origin")
            ),
            sent_from=req.headers.get("origin"),
            request_origin=request_origin(req),
            host=req.host,
            port=req.port,
        )


class HoldFlow:
    def __init__(self) -> None:
        # Held flows now waiting: flow id -> its client connection's id (to spot disconnects).
        self.waiting: dict[str, str] = {}
        # A sent hold with joined retries: the sender's flow id -> hold id, and the hold's
        # answer from the site, which the retries get instead of a second send.
        self._senders: dict[str, str] = {}
        # Held flows released with "send", until the site answers: flow id -> hold id.
        self._released: OrderedDict[str, str] = OrderedDict()
        self._sent_answers: dict[str, asyncio.Future[http.Response | None]] = {}

    async def hold(
        self, ask: HoldRequest, state: ProxyState, judged: Judged
    ) -> http.Response | None:
        """Hold (or join the hold of) this request until it is decided: None when it goes
        upstream now, else the answer its client gets instead."""
        hold = state.holds.join(ask.fingerprint, ask.client_ip, ask.flow_id)
        if hold is not None:
            # A retry of a request already held: it waits with the first, and at most one of
            # them goes upstream.
            hold_log.info("pullcheck: a retry of %s joined hold %s", _what(hold), hold.hold_id)
        else:
            verdict = verdict_json(judged.verdict)
            origin = provenance(
                ask.sent_from,
                judged.platform,
                ask.request_origin,
                state.route,
                ask.host.lower(),
                ask.port,
            )
            if state.config.holds.without_page == "reject" and not (
                origin.channel and page_tokens(state).live_page(origin.channel)
            ):
                return self.refuse(ask, state, judged, verdict, origin.channel, "no-page")
            if state.holds.full():
                return self.refuse(ask, state, judged, verdict, origin.channel, "busy")
            summary = {
                "verdict_id": judged.verdict_id,
                "platform": judged.platform,
                "kind": judged.draft.kind,
                "operation": judged.compose.operation,
            }
            hold = state.holds.open(
                ask.flow_id,
                origin.channel,
                verdict,
                summary,
                post=HeldPost.of(judged.platform, judged.compose.operation, judged.draft),
                from_origin=origin.sent_from,
                own=origin.own,
                key=ask.fingerprint,
                client=ask.client_ip,
                timeout_s=state.hold_timeout_s,
            )
            if state.tally:
                with state.failsafe.guard("tally"):
                    state.tally.held(judged.platform)
            if hold.origin:
                state.feed.publish(hold.origin, {"type": "hold", **hold.public()})
            hold_log.info(
                "pullcheck: held %s (%s) %s%s — pullcheck decide %s send|edit",
                _what(hold),
                hold.level,
                " ".join(hold.codes) or "-",
                "" if hold.own else f" from {hold.from_origin or 'no origin'}",
                hold.hold_id,
            )
        self.waiting[ask.flow_id] = ask.client_id
        try:
            outcome = await state.holds.wait(hold, ask.flow_id)
        finally:
            self.waiting.pop(ask.flow_id, None)
        if outcome == "send":
            if hold.sender == ask.flow_id:
                self._released[ask.flow_id] = hold.hold_id
                while len(self._released) > MAX_RELEASED:
                    self._released.popitem(last=False)
                if len(hold.flows) > 1:
                    self._sent_answers.setdefault(hold.hold_id, _loop_future())
                    self._senders[ask.flow_id] = hold.hold_id
                return None  # the request goes upstream now, once
            return await self._answer_like_the_sender(judged, hold)
        if outcome == "edit" and hold.decided_on_page and hold.own:
            # The banner showed the findings; the site's own message says the rest in one line.
            return not_sent(judged, HELD_MESSAGE)
        why = {"edit": "edit", "timeout": "timeout", "gone": "gone"}.get(outcome, "shutdown")
        return not_sent(judged, refusal.reason(hold.verdict, why, timeout=state.hold_timeout_s))

    @staticmethod
    def refuse(
        ask: HoldRequest,
        state: ProxyState,
        judged: Judged,
        verdict: dict[str, Any],
        channel: str,
        why: str,
    ) -> http.Response:
        """No page can show this hold (a script, a bot, a closed tab), or too many wait already:
        answer at once with the site's failure response and the findings, like a linter failing
        a build."""
        answer = not_sent(judged, refusal.reason(verdict, why, origin=channel or ask.host))
        if state.tally:
            with state.failsafe.guard("tally"):
                state.tally.refused(judged.platform)
        codes = " ".join(f["code"] for f in verdict.get("findings", [])) or "-"
        hold_log.info(
            "pullcheck: refused %s %s (%s) %s: %s",
            judged.platform,
            judged.draft.kind,
            verdict.get("level"),
            codes,
            f"no pullcheck page of {channel or ask.host} is open"
            if why == "no-page"
            else "too many posts are held already",
        )
        return answer

    async def _answer_like_the_sender(self, judged: Judged, hold: Hold) -> http.Response:
        """A joined retry of a post that was sent once: it gets the site's answer to that one
        send (so the client sees what really happened), never a second send."""
        answer = self._sent_answers.setdefault(hold.hold_id, _loop_future())
        try:
            sent = await asyncio.wait_for(asyncio.shield(answer), SENT_ANSWER_WAIT_S)
        except TimeoutError:
            sent = None
        finally:
            if not any(self._senders.get(f) == hold.hold_id for f in hold.flows):
                self._sent_answers.pop(hold.hold_id, None)
        if sent is not None:
            return sent.copy()
        return not_sent(judged, refusal.reason(hold.verdict, "duplicate"))

    def answered(self, flow_id: str, response: http.Response | None) -> None:
        """The site answered `flow_id` (or it failed: `response` None): a released flow is done,
        and a sender's joined retries get its answer."""
        if self._released:
            self._released.pop(flow_id, None)
        hold_id = self._senders.pop(flow_id, None) if self._senders else None
        if hold_id is None:
            return
        answer = self._sent_answers.get(hold_id)
        if answer is not None and not answer.done():
            answer.set_result(response.copy() if response is not None else None)

    def failed(self, flow_id: str, response: http.Response | None, error: object) -> None:
        """`flow_id` got no answer from the site."""
        released = self._released.get(flow_id) if self._released else None
        self.answered(flow_id, response)
        if released is not None:
            # An HTTP/2 client that reset its stream during the hold (its connection stayed
            # open, so no disconnect was seen): mitmproxy reports it only now, and sends nothing.
            hold_log.info(
                "pullcheck: hold %s: the client had gone (%s); nothing was sent", released, error
            )

    def client_gone(self, client_id: str, state: ProxyState) -> None:
        """A client connection closed: the holds it waited on lose that flow (and end as "gone"
        when nobody else waits)."""
        for flow_id, waiting_client in list(self.waiting.items()):
            if waiting_client == client_id:
                ended = state.holds.flow_gone(flow_id)
                if ended is not None:
                    hold_log.info(
                        "pullcheck: hold %s: the client disconnected; nothing was sent",
                        ended.hold_id,
                    )


def not_sent(judged: Judged, text: str) -> http.Response:
    """The site's own failure response for this compose, saying `text`: nothing was sent."""
    failure = judged.compose.failure
    answer = refusal.with_reason(failure.status, failure.headers, failure.body, text)
    return http.Response.make(answer.status, answer.body, answer.headers)


def _what(hold: Hold) -> str:
    post = hold.post
    return f"{post.platform} {post.kind}" if post is not None else hold.hold_id


def _loop_future() -> asyncio.Future[http.Response | None]:
    return asyncio.get_running_loop().create_future()
