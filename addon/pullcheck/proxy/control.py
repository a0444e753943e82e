"""The banner's endpoints under `/__pullcheck__/` on each configured site origin, answered by the
proxy itself (the request never goes upstream).

  GET  banner.js, banner.css   static, cached for a year (the URL carries the version)
  POST check                   live verdict for the draft in the compose box
  POST events                  long poll: this origin's verdicts and holds after `since`
                               (both also carry `config_error`: a rejected config edit, one
                               line, or null)
  POST decide                  {hold_id, decision: send|edit} for a held post of this origin
  POST notpush                 {code, recipient|domain, reason?} -> the local "Not push" allowlist

Every endpoint but the two static files requires the page token the injector issued for this
origin (header `X-Pullcheck-Token`) and a same-origin request: `Origin`, when sent, must be the
page's origin and `Sec-Fetch-Site`, when sent, must be `same-origin`, and one of them must be
there (browsers send `Origin` with every POST). Anything else gets 403 with an empty body, so
another site learns nothing, not even which check failed. The token endpoints are POST only, so
a browser always attaches `Origin`.

A page sees only its own origin's events and holds: the origin used for the feed and the holds
is the request's own origin, never one taken from the request body. The `events` long poll is
also how the proxy knows the page is still open (`PageTokens.poll_opened`/`poll_closed`): it keeps
the page's token alive and lets a held post wait for this page instead of being refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from mitmproxy import http
from mitmproxy.net.http import status_codes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pullcheck.config_summary import error_line
from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.notpush import NotPushFull, append_notpush
from pullcheck.notpush import rate_limit as notpush_rate_limit
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.holds import ENDED_MESSAGES
from pullcheck.proxy.inject import BANNER_VERSION
from pullcheck.proxy.pages import page_tokens
from pullcheck.proxy.trust import scope_of

logger = logging.getLogger("pullcheck.control")

PREFIX = "/__pullcheck__/"
TOKEN_HEADER = "x-pullcheck-token"
MAX_BODY = 256 * 1024
# The banner re-polls right away, so a long poll only needs to outlast idle-connection timeouts.
MAX_WAIT_S = 25.0
# "Not push": how often to ask the config watcher to reload before answering the banner.
RELOAD_TRIES = 5
RELOAD_PAUSE_S = 0.2
PLATFORMS = ("x", "mastodon", "bluesky", "linkedin", "reddit")

_SECURITY_HEADERS = {"x-content-type-options": "nosniff"}
_STATIC = {
    "banner.js": "application/javascript; charset=utf-8",
    "banner.css": "text/css; charset=utf-8",
}
_static_cache: dict[str, bytes] = {}


# --- request bodies (pydantic at the edge) ---------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=50_000)


class CheckRequest(_Body):
    text: str = ""
    kind: Kind = "post"
    platform: str | None = None
    reply_to_id: str | None = Field(default=None, max_length=200)
    reply_to_author: str | None = Field(default=None, max_length=200)
    recipients: list[str] = Field(default_factory=list, max_length=100)
    conversation_id: str | None = Field(default=None, max_length=200)
    links: list[str] = Field(default_factory=list, max_length=100)


class EventsRequest(_Body):
    since: int = Field(default=0, ge=0)
    wait: float = Field(default=MAX_WAIT_S, ge=0, le=MAX_WAIT_S)


class DecideRequest(_Body):
    hold_id: str = Field(max_length=100)
    decision: Literal["send", "edit"]


_CODE = r"^[A-Z]{1,5}[0-9]{1,5}$"
# Handles: X/Reddit/LinkedIn names, Mastodon `user@instance`, Bluesky `name.bsky.social`.
_HANDLE = r"^@?[A-Za-z0-9_.\-]+(@[A-Za-z0-9.\-]+)?$"
_DOMAIN = r"^([a-z0-9]([a-z0-9\-]*[a-z0-9])?\.)+[a-z0-9\-]{2,63}$"


class NotPushRequest(_Body):
    code: str = Field(pattern=_CODE)
    recipient: str | None = Field(default=None, pattern=_HANDLE, max_length=300)
    domain: str | None = Field(default=None, pattern=_DOMAIN, max_length=253)
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> NotPushRequest:
        if not self.recipient and not self.domain:
            raise ValueError("a recipient or a domain is needed")
        return self


# --- responses -------------------------------------------------------------------------------


_JSON_FIELDS = (
    (b"content-type", b"application/json; charset=utf-8"),
    (b"cache-control", b"no-store"),
    *((name.encode(), value.encode()) for name, value in _SECURITY_HEADERS.items()),
)
_FORBIDDEN_FIELDS = (
    (b"cache-control", b"no-store"),
    *((name.encode(), value.encode()) for name, value in _SECURITY_HEADERS.items()),
)


def _made(status: int, body: bytes, fields: tuple[tuple[bytes, bytes], ...]) -> http.Response:
    """The response `http.Response.make(status, body, headers)` builds, for headers with no
    content-encoding, transfer-encoding or content-length: the same fields in the same order
    and `content-length` last. Built from header bytes made once, without `make`'s per-call
    encoding of every header and its body re-encoding step (a check is answered on every
    keystroke pause, and `make` was a third of the endpoint's own cost)."""
    now = time.time()
    headers = http.Headers((*fields, (b"content-length", str(len(body)).encode())))
    reason = status_codes.RESPONSES.get(status, "").encode()
    return http.Response(b"HTTP/1.1", status, reason, headers, body, None, now, now)


def _json(status: int, payload: Any) -> http.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _made(status, body, _JSON_FIELDS)


def _forbidden() -> http.Response:
    return _made(403, b"", _FORBIDDEN_FIELDS)


def _static(name: str) -> http.Response:
    body = _static_cache.get(name)
    if body is None:
        body = resources.files("pullcheck.banner").joinpath(name).read_bytes()
        _static_cache[name] = body
    return http.Response.make(
        200,
        body,
        {
            "content-type": _STATIC[name],
            # The script URL carries ?v=BANNER_VERSION, so a new version is a new URL.
            "cache-control": "public, max-age=31536000, immutable",
            "etag": f'"pullcheck-{BANNER_VERSION}"',
            **_SECURITY_HEADERS,
        },
    )


# --- the gate --------------------------------------------------------------------------------


def verified_origin(flow: http.HTTPFlow, state: Any) -> str | None:
    """The page origin, if this request carries a token issued for it and comes from it."""
    request = flow.request
    origin = request_origin(request)
    sent_origin, fetch_site, token = _gate_headers(request.headers)
    if sent_origin is None and fetch_site is None:
        return None
    if sent_origin is not None and sent_origin.lower() != origin:
        return None
    if fetch_site is not None and fetch_site != "same-origin":
        return None
    if not page_tokens(state).valid(token, origin):
        return None
    return origin


_GATE_NAMES = {b"origin": 0, b"sec-fetch-site": 1, TOKEN_HEADER.encode(): 2}


def _gate_headers(headers: http.Headers) -> tuple[str | None, str | None, str | None]:
    """`Origin`, `Sec-Fetch-Site` and the token header as `headers.get` gives them (a header
    sent twice folded with ", "), read in one pass over the fields instead of one per name."""
    found: list[list[bytes]] = [[], [], []]
    for name, value in headers.fields:
        slot = _GATE_NAMES.get(name.lower())
        if slot is not None:
            found[slot].append(value)
    return tuple(  # type: ignore[return-value]
        b", ".join(values).decode("utf-8", "surrogateescape") if values else None
        for values in found
    )


def _parse(flow: http.HTTPFlow, model: type[BaseModel]) -> BaseModel | None:
    raw = flow.request.get_content(strict=False) or b""
    if len(raw) > MAX_BODY:
        return None
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError:
        return None


async def handle(flow: http.HTTPFlow, state: Any) -> None:
    """Answer a `/__pullcheck__/…` request on a configured origin (sets `flow.response`)."""
    path = flow.request.path.split("?", 1)[0]
    name = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    method = flow.request.method
    if name in _STATIC:
        if method not in ("GET", "HEAD"):
            flow.response = _forbidden()
            return
        flow.response = _static(name)
        return
    endpoint = _ENDPOINTS.get(name)
    origin = verified_origin(flow, state) if endpoint is not None and method == "POST" else None
    if endpoint is None or origin is None:
        flow.response = _forbidden()
        return
    flow.response = await endpoint(flow, state, origin)


# --- endpoints -------------------------------------------------------------------------------


def _platform(flow: http.HTTPFlow, state: Any, asked: str | None) -> str:
    if asked in PLATFORMS:
        return asked  # type: ignore[return-value]
    # The page did not say: the site whose hosts this origin is configured as.
    match = getattr(getattr(state, "route", None), "match", None)
    request = flow.request
    adapter = match(request.host.lower(), request.port, PREFIX) if match else None
    return getattr(adapter, "name", "other")


def draft_of(check: CheckRequest, platform: str, state: Any, scope: str = "") -> Draft:
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
    )
    memory = getattr(state, "memory", None)
    if memory is None:
        return draft
    from pullcheck.sites.wire import Compose, FailureResponse

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


def config_error(state: Any) -> str | None:
    """The rejected config edit now on disk, as one line the banner shows (`file:line key
    message`, the file by name only), or None while the config on disk is in service."""
    watcher = getattr(state, "watcher", None)
    error = getattr(watcher, "error", None) if watcher is not None else None
    return error_line(error) if error is not None else None


def verdict_json(verdict: Any) -> dict[str, Any]:
    """A verdict as every page-facing answer carries it (live checks, send-time events, holds)."""
    return verdict.model_dump(mode="json")


async def _check(flow: http.HTTPFlow, state: Any, origin: str) -> http.Response:
    started = time.perf_counter()
    check = _parse(flow, CheckRequest)
    if not isinstance(check, CheckRequest):
        return _json(400, {"error": "expected JSON {text, kind, platform, reply_to_id, ...}"})
    platform = _platform(flow, state, check.platform)
    request = flow.request
    scope = scope_of(getattr(state, "route", None), platform, request.host.lower(), request.port)
    draft = draft_of(check, platform, state, scope)
    verdict = state.engine.judge(draft)
    _count_live_check(flow, state, origin, platform, check.text, verdict)
    return _json(
        200,
        {
            "platform": platform,
            "kind": draft.kind,
            "reply_to": draft.reply_to.model_dump() if draft.reply_to else None,
            "verdict": verdict_json(verdict),
            "mode": getattr(state, "mode", "warn"),
            "config_error": config_error(state),
            "ms": round((time.perf_counter() - started) * 1000, 3),
        },
    )


def _count_live_check(flow: http.HTTPFlow, state: Any, origin: str, platform: str, text: str,
                      verdict: Any) -> None:
    """"Your numbers" count the draft (once, however many pauses it is checked at), off the
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


async def _events(flow: http.HTTPFlow, state: Any, origin: str) -> http.Response:
    ask = _parse(flow, EventsRequest)
    if not isinstance(ask, EventsRequest):
        return _json(400, {"error": "expected JSON {since, wait}"})
    # An open poll is how the proxy knows this page is still there: it keeps the page's token
    # alive and lets held posts of this origin wait for the page instead of being refused.
    token = flow.request.headers.get(TOKEN_HEADER)
    tokens = page_tokens(state)
    tokens.poll_opened(token)
    try:
        events = await state.feed.wait(origin, ask.since, ask.wait)
    finally:
        tokens.poll_closed(token)
    pending = [hold.public() for hold in state.holds.pending(origin)]
    return _json(
        200,
        {
            "events": events,
            "last": state.feed.last_seq(origin),
            "pending": pending,
            "config_error": config_error(state),
        },
    )


async def _decide(flow: http.HTTPFlow, state: Any, origin: str) -> http.Response:
    decision = _parse(flow, DecideRequest)
    if not isinstance(decision, DecideRequest):
        return _json(400, {"error": "expected JSON {hold_id, decision: send|edit}"})
    # `origin` binds the decision to this page's holds: another origin's id is "unknown".
    status = state.holds.decide_status(decision.hold_id, decision.decision, origin=origin)
    if status != "applied":
        return _json(409, {"ok": False, "status": status, "error": ENDED_MESSAGES[status]})
    return _json(200, {"ok": True, "decision": decision.decision})


def notpush_path(state: Any) -> Path:
    return state.config.notpush_path()


async def _notpush(flow: http.HTTPFlow, state: Any, origin: str) -> http.Response:
    ask = _parse(flow, NotPushRequest)
    if not isinstance(ask, NotPushRequest):
        return _json(400, {"error": "expected JSON {code, recipient or domain, reason?}"})
    entry = {"code": ask.code}
    if ask.recipient:
        entry["recipient"] = ask.recipient.lstrip("@")
    if ask.domain:
        entry["domain"] = ask.domain
    if ask.reason:
        entry["reason"] = re.sub(r"\s+", " ", ask.reason).strip()
    entry["origin"] = origin
    if not notpush_rate_limit(state).allow(origin):
        # Any script on the page can call this: a few a minute is all a person clicks.
        return _json(429, {"ok": False, "error": "too many 'Not push' choices from this page; "
                                                 "try again in a minute"})
    path = notpush_path(state)
    try:
        # Off the event loop: a slow disk or a long file must not stall other traffic.
        await asyncio.to_thread(append_notpush, path, entry)
    except NotPushFull as full:
        return _json(409, {"ok": False, "error": str(full)})
    except (OSError, ValueError, yaml.YAMLError) as error:
        logger.warning("pullcheck: could not record 'Not push' in %s: %s", path, error)
        return _json(500, {"ok": False, "error": "could not write the allowlist file"})
    tally = getattr(state, "tally", None)
    if tally is not None:  # "your numbers" counts the override (never its text)
        tally.notpush(_platform(flow, state, None))
    # The config reads this file as an allowlist: reload now (off the event loop), so the
    # banner's next check already sees it instead of waiting for the watcher's next poll.
    watcher = getattr(state, "watcher", None)
    if watcher is not None:
        for _ in range(RELOAD_TRIES):
            await asyncio.to_thread(watcher.poll)
            if _allowed_now(state, entry):
                break
            # The watcher's own poll may be running (it then skips ours): give it a moment.
            await asyncio.sleep(RELOAD_PAUSE_S)
    return _json(200, {"ok": True})


def _allowed_now(state: Any, entry: dict[str, str]) -> bool:
    allow = getattr(getattr(state, "config", None), "allow", None)
    if allow is None:
        return True  # nothing to compare with: one poll is all we can do
    handles = {str(h).lower().lstrip("@") for h in allow.handles}
    domains = {str(d).lower() for d in allow.domains}
    if "recipient" in entry and entry["recipient"].lower() not in handles:
        return False
    return "domain" not in entry or entry["domain"].lower() in domains


_ENDPOINTS = {
    "check": _check,
    "events": _events,
    "decide": _decide,
    "notpush": _notpush,
}
