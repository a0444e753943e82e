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

This module routes and guards; each endpoint lives in its own module: `banner_files` (static),
`check_endpoint`, `page_feed_endpoints` (events, decide), `notpush_endpoint`, with the shared
body parsing and JSON answers in `endpoint_http`.

A page sees only its own origin's events and holds: the origin used for the feed and the holds
is the request's own origin, never one taken from the request body. The `events` long poll is
also how the proxy knows the page is still open (`PageTokens.poll_opened`/`poll_closed`): it keeps
the page's token alive and lets a held post wait for this page instead of being refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mitmproxy import http

from pullcheck.proxy.banner_files import banner_file, is_banner_file
from pullcheck.proxy.check_endpoint import check
from pullcheck.proxy.endpoint_http import PREFIX, TOKEN_HEADER, EndpointState, forbidden
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.notpush_endpoint import notpush
from pullcheck.proxy.page_feed_endpoints import decide, events

Endpoint = Callable[[http.HTTPFlow, EndpointState, str], Awaitable[http.Response]]

ENDPOINTS: dict[str, Endpoint] = {
    "check": check,
    "events": events,
    "decide": decide,
    "notpush": notpush,
}


def verified_origin(flow: http.HTTPFlow, state: EndpointState) -> str | None:
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
    if not state.pages.valid(token, origin):
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


async def handle(flow: http.HTTPFlow, state: EndpointState) -> None:
    """Answer a `/__pullcheck__/…` request on a configured origin (sets `flow.response`)."""
    path = flow.request.path.split("?", 1)[0]
    name = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    method = flow.request.method
    if is_banner_file(name):
        flow.response = banner_file(name) if method in ("GET", "HEAD") else forbidden()
        return
    endpoint = ENDPOINTS.get(name)
    origin = verified_origin(flow, state) if endpoint is not None and method == "POST" else None
    if endpoint is None or origin is None:
        flow.response = forbidden()
        return
    flow.response = await endpoint(flow, state, origin)
