"""Held posts and the user's decision on each: "send" (once) or "edit".

A flagged compose request in hold mode waits in the add-on's `request` hook on
`HoldRegistry.wait(...)`. Whoever decides (the banner's decide endpoint, `pullcheck decide` over
the control socket, the `pullcheck.decide` console command, a test) calls `decide(...)`. The first
decision wins and is final, so a post is released at most once. No answer within the timeout
counts as "edit": nothing reaches the site.

A hold carries what it holds (`HeldPost`: the text, kind, reply target and recipients read off the
request itself) and where the request came from (`from_origin`, the request's `Origin` header, and
whether that is a page of the site, `own`), so whoever decides sees exactly what would be sent.

One hold may wait for several flows: a client that retries the same request (same method, URL and
body, from the same address) while it is held joins the hold instead of opening another. When the
user says "send", exactly one of them goes upstream (the first whose client is still connected,
`Hold.sender`); the others get the sender's answer (see the add-on). When every client of a hold
has disconnected, the hold ends as "gone": nothing can be delivered, and a later "send" is told so.

The decision is taken under a lock and the waiting flows read it from the hold record, not from
the wake-up, so a decision racing the timeout or a disconnect resolves one way for everyone.
Nothing here knows mitmproxy.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pullcheck.models import Draft

Choice = Literal["send", "edit"]
# "gone": every client of the hold disconnected; "shutdown": the proxy stopped first.
Outcome = Literal["send", "edit", "timeout", "gone", "shutdown"]
CHOICES: tuple[str, ...] = ("send", "edit")
# What `decide` found: applied, or why not.
DecideStatus = Literal["applied", "unknown", "decided", "gone", "timeout", "shutdown", "invalid"]
# How many ended holds `decide` still recognises (to say "already decided" or "gone").
MAX_ENDED = 1024
# Holds waiting at once, at most: a page that floods the site with flagged posts gets the
# failure response for the rest instead of growing the list (and the dialogs) without bound.
MAX_PENDING = 64
# Held text shown to a page or the command line, at most (a Reddit post may be 40,000).
MAX_SHOWN_TEXT = 20_000

ENDED_MESSAGES: dict[str, str] = {
    "unknown": "no such hold",
    "decided": "that hold was already decided",
    "gone": "the client disconnected; nothing was sent",
    "timeout": "that hold timed out; nothing was sent",
    "shutdown": "the proxy stopped before a decision; nothing was sent",
    "invalid": "the choice is not send or edit",
}


def request_fingerprint(method: str, url: str, body: bytes, origin: str | None = None) -> str:
    """What makes two requests "the same request" for joining a hold: method, URL, body and the
    `Origin` they were sent from (so another page cannot slip its copy in as the one sent)."""
    digest = hashlib.sha256()
    parts = (
        method.upper().encode(),
        url.encode("utf-8", "surrogateescape"),
        body,
        (origin or "").encode("utf-8", "surrogateescape"),
    )
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class HeldPost:
    """What a held request would publish, read off the request itself (never off a page)."""

    platform: str
    kind: str
    text: str
    operation: str = ""
    reply_to_id: str | None = None
    reply_to_author: str | None = None
    reply_to_text: str | None = None
    recipients: tuple[str, ...] = ()

    @classmethod
    def of(cls, platform: str, operation: str, draft: Draft) -> HeldPost:
        reply = draft.reply_to
        return cls(
            platform=platform,
            kind=draft.kind,
            text=draft.text,
            operation=operation,
            reply_to_id=reply.id if reply is not None else None,
            reply_to_author=reply.author if reply is not None else None,
            reply_to_text=reply.text if reply is not None else None,
            recipients=tuple(draft.recipients),
        )

    def shown(self) -> dict[str, Any]:
        text = self.text
        reply_to = None
        if self.reply_to_id or self.reply_to_author or self.reply_to_text:
            reply_to = {
                "id": self.reply_to_id,
                "author": self.reply_to_author,
                "text": (self.reply_to_text or "")[:MAX_SHOWN_TEXT] or None,
            }
        return {
            "platform": self.platform,
            "kind": self.kind,
            "operation": self.operation,
            "text": text[:MAX_SHOWN_TEXT],
            "text_truncated": len(text) > MAX_SHOWN_TEXT,
            "reply_to": reply_to,
            "recipients": list(self.recipients),
        }


@dataclass
class Hold:
    hold_id: str
    flow_id: str
    # The page origin whose banner may show and decide this hold ("" when no page can).
    origin: str
    verdict: dict[str, Any]
    summary: dict[str, Any]
    post: HeldPost | None = None
    # The request's own `Origin` header as sent (None when absent, "null" for an opaque one).
    from_origin: str | None = None
    # Sent by a page of the site itself (its Origin is one of the site's own origins).
    own: bool = True
    key: str | None = None
    client: str | None = None
    created: float = field(default_factory=time.time)
    outcome: Outcome | None = None
    # Decided in the banner of the hold's own page: the person is looking at the page and at the
    # findings already, so the site shows its plain one-sentence "not sent" message.
    decided_on_page: bool = False
    # The flows waiting on this hold (the first, then joined retries) and those whose client left.
    flows: list[str] = field(default_factory=list)
    gone_flows: set[str] = field(default_factory=set)
    # The one flow that goes upstream on "send".
    sender: str | None = None
    deadline: float | None = None
    _future: asyncio.Future[None] | None = field(default=None, repr=False)

    @property
    def level(self) -> str:
        return str(self.verdict.get("level", ""))

    @property
    def codes(self) -> list[str]:
        return [str(f.get("code")) for f in self.verdict.get("findings", []) if f.get("code")]

    def public(self) -> dict[str, Any]:
        """What the banner of the hold's own page may show (no client address)."""
        shown = self.post.shown() if self.post is not None else {}
        return {
            "hold_id": self.hold_id,
            "origin": self.origin,
            "from_origin": self.from_origin,
            "own": self.own,
            "created": self.created,
            "verdict": self.verdict,
            "summary": self.summary,
            "level": self.level,
            "codes": self.codes,
            **shown,
        }

    def listing(self, now: float | None = None) -> dict[str, Any]:
        """What `pullcheck holds` shows: the public view plus the client and the age."""
        now = time.time() if now is None else now
        return {
            **self.public(),
            "client": self.client,
            "age_s": round(max(0.0, now - self.created), 1),
            "waiting_flows": len(self.flows) - len(self.gone_flows),
        }


class HoldRegistry:
    def __init__(
        self,
        timeout_s: float = 120.0,
        on_resolved: Callable[[Hold], None] | None = None,
        max_ended: int = MAX_ENDED,
    ) -> None:
        self.timeout_s = timeout_s
        self.on_resolved = on_resolved
        self.max_ended = max_ended
        self._holds: dict[str, Hold] = {}
        self._by_flow: dict[str, str] = {}
        # Ended holds: id -> (outcome, origin), so a late decision hears how it ended.
        self._ended: OrderedDict[str, tuple[Outcome, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._serial = itertools.count(1)

    def open(
        self,
        flow_id: str,
        origin: str,
        verdict: dict[str, Any],
        summary: dict[str, Any],
        *,
        post: HeldPost | None = None,
        from_origin: str | None = None,
        own: bool = True,
        key: str | None = None,
        client: str | None = None,
        timeout_s: float | None = None,
    ) -> Hold:
        """Register a hold; the caller then awaits `wait(hold, flow_id)`. Must run on the event
        loop that will wait."""
        # Unguessable ids: another page must not be able to release a post by counting.
        hold_id = f"h{next(self._serial)}-{secrets.token_hex(6)}"
        hold = Hold(
            hold_id,
            flow_id,
            origin,
            verdict,
            summary,
            post=post,
            from_origin=from_origin,
            own=own,
            key=key,
            client=client,
        )
        loop = asyncio.get_running_loop()
        hold._future = loop.create_future()
        hold.flows.append(flow_id)
        hold.deadline = loop.time() + (self.timeout_s if timeout_s is None else timeout_s)
        with self._lock:
            self._holds[hold_id] = hold
            self._by_flow[flow_id] = hold_id
        return hold

    def join(self, key: str, client: str | None, flow_id: str) -> Hold | None:
        """The pending hold of the same request from the same client, now also waited on by
        `flow_id`; None when there is none (the caller opens a new hold)."""
        with self._lock:
            for hold in self._holds.values():
                if hold.key == key and hold.client == client and hold.outcome is None:
                    hold.flows.append(flow_id)
                    self._by_flow[flow_id] = hold.hold_id
                    return hold
        return None

    async def wait(
        self, hold: Hold, flow_id: str | None = None, timeout_s: float | None = None
    ) -> Outcome:
        """The decision for `hold`: "send", "edit", "timeout" (which means edit), "gone" or
        "shutdown". With "send", only `hold.sender` goes upstream."""
        assert hold._future is not None
        flow_id = hold.flow_id if flow_id is None else flow_id
        loop = asyncio.get_running_loop()
        if timeout_s is not None:
            remaining = timeout_s
        elif hold.deadline is not None:
            remaining = max(0.0, hold.deadline - loop.time())
        else:
            remaining = self.timeout_s
        try:
            await asyncio.wait_for(asyncio.shield(hold._future), remaining)
        except TimeoutError:
            self._settle(hold, "timeout")
        except asyncio.CancelledError:
            # This flow's task was cancelled (its client went away, or the proxy stops): it can
            # deliver nothing. The hold lives on while another of its flows still waits.
            self.flow_gone(flow_id)
            raise
        assert hold.outcome is not None
        return hold.outcome

    async def hold(
        self,
        flow_id: str,
        origin: str,
        verdict: dict[str, Any],
        summary: dict[str, Any],
        timeout_s: float | None = None,
    ) -> Outcome:
        hold = self.open(flow_id, origin, verdict, summary, timeout_s=timeout_s)
        return await self.wait(hold, flow_id)

    def decide(self, hold_id: str, choice: str, origin: str | None = None) -> bool:
        """Apply the user's choice. False if the hold is unknown, belongs to another origin,
        was already decided, timed out or lost its client, or the choice is not send/edit."""
        return self.decide_status(hold_id, choice, origin) == "applied"

    def decide_status(self, hold_id: str, choice: str, origin: str | None = None) -> DecideStatus:
        """Apply the user's choice and say what happened (see `ENDED_MESSAGES`)."""
        if choice not in CHOICES:
            return "invalid"
        with self._lock:
            hold = self._holds.get(hold_id)
            if hold is None:
                ended = self._ended.get(hold_id)
                # A page learns nothing about holds of other origins, ended or not.
                if ended is None or (origin is not None and ended[1] != origin):
                    return "unknown"
                return "decided" if ended[0] in CHOICES else ended[0]  # type: ignore[return-value]
            if origin is not None and hold.origin != origin:
                return "unknown"
        if hold.outcome is None:
            # Set before settling: the waiting flow reads it as soon as the outcome is there.
            hold.decided_on_page = origin is not None
        settled = self._settle(hold, choice)  # type: ignore[arg-type]
        if settled == choice:
            return "applied"
        outcome = settled or hold.outcome
        if outcome in CHOICES or outcome is None:
            return "decided"
        return outcome  # type: ignore[return-value]

    def ended_outcome(self, hold_id: str) -> Outcome | None:
        with self._lock:
            ended = self._ended.get(hold_id)
        return ended[0] if ended else None

    def flow_gone(self, flow_id: str) -> Hold | None:
        """`flow_id`'s client disconnected. When it was the hold's last waiting client, the hold
        ends as "gone" (returned); else the others still wait."""
        with self._lock:
            hold_id = self._by_flow.get(flow_id)
            hold = self._holds.get(hold_id) if hold_id else None
            if hold is None or hold.outcome is not None:
                return None
            hold.gone_flows.add(flow_id)
            if any(f not in hold.gone_flows for f in hold.flows):
                return None
        return hold if self._settle(hold, "gone") is not None else None

    def settle_all(self, outcome: Outcome) -> list[Hold]:
        """End every pending hold with `outcome` (the proxy is stopping)."""
        with self._lock:
            holds = list(self._holds.values())
        return [hold for hold in holds if self._settle(hold, outcome) is not None]

    def _settle(self, hold: Hold, outcome: Outcome) -> Outcome | None:
        """End `hold` with `outcome` (or "gone" for a "send" nobody can receive); the outcome
        set, or None when the hold had ended already."""
        with self._lock:
            if hold.outcome is not None:
                return None
            if outcome == "send":
                live = [f for f in hold.flows if f not in hold.gone_flows]
                if not live:
                    outcome = "gone"
                else:
                    hold.sender = live[0]
            hold.outcome = outcome
            self._holds.pop(hold.hold_id, None)
            for flow_id in hold.flows:
                self._by_flow.pop(flow_id, None)
            self._ended[hold.hold_id] = (outcome, hold.origin)
            while len(self._ended) > self.max_ended:
                self._ended.popitem(last=False)
        future = hold._future
        if future is not None and not future.done():
            loop = future.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future)
        if self.on_resolved is not None:
            self.on_resolved(hold)
        return outcome

    def full(self) -> bool:
        with self._lock:
            return len(self._holds) >= MAX_PENDING

    def get(self, hold_id: str) -> Hold | None:
        with self._lock:
            return self._holds.get(hold_id)

    def pending(self, origin: str | None = None) -> list[Hold]:
        with self._lock:
            holds = list(self._holds.values())
        return [h for h in holds if origin is None or h.origin == origin]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
