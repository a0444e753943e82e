"""`http://pullcheck.localhost/`: the "your numbers" dashboard, answered by the proxy itself.

The host does not exist on any network: the add-on's request hook answers every request for it
and never forwards one. Paths:

  GET /               the dashboard (static HTML, no script), `?days=N` (1..3660, default 30)
  GET /dashboard.css  its stylesheet (same origin, so the strict CSP below allows it)
  GET /stats.json     the same figures as JSON (counts only)

The page is locked down with its own CSP (no script, styles only from itself, no framing). A
page on another origin cannot read any of it: there are no CORS headers.

Chromium sends `*.localhost` to the proxy only when started with
`--proxy-bypass-list=<-loopback>`; Firefox needs `network.proxy.allow_hijacking_localhost`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from mitmproxy import http

from pullcheck.dashboard import STYLESHEET_PATH, render_dashboard, stylesheet
from pullcheck.stats import StatsStore

DASHBOARD_HOST = "pullcheck.localhost"
DEFAULT_DAYS = 30
_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def is_dashboard(host: str) -> bool:
    """`host` lower-cased, as the add-on reads it once per request."""
    return host.rstrip(".") == DASHBOARD_HOST


def answer(flow: http.HTTPFlow, stats: StatsStore | None) -> None:
    """Set `flow.response` for a request to the dashboard host; never leaves it unanswered."""
    flow.response = _respond(flow.request, stats)


def _respond(request: http.Request, stats: StatsStore | None) -> http.Response:
    if request.method not in ("GET", "HEAD"):
        return _plain(405, "only GET\n", {"allow": "GET, HEAD"})
    url = urlsplit(request.path)
    if url.path == STYLESHEET_PATH:
        return http.Response.make(
            200, stylesheet(), {**_HEADERS, "content-type": "text/css; charset=utf-8"}
        )
    if url.path not in ("/", "/stats.json"):
        return _plain(404, "not found\n")
    days = _days(parse_qs(url.query).get("days", [""])[0])
    if days is None:
        return _plain(400, "days must be a whole number from 1 to 3660\n")
    if stats is None:
        return _plain(503, "pullcheck's stats store is not open\n")
    summary = stats.summary(days)
    if url.path == "/stats.json":
        return http.Response.make(
            200,
            json.dumps(summary.to_dict()).encode(),
            {**_HEADERS, "content-type": "application/json"},
        )
    return http.Response.make(
        200,
        render_dashboard(summary).encode(),
        {**_HEADERS, "content-type": "text/html; charset=utf-8"},
    )


def _days(value: str) -> int | None:
    if not value:
        return DEFAULT_DAYS
    if not value.isdigit() or not 1 <= int(value) <= 3660:
        return None
    return int(value)


def _plain(status: int, text: str, extra: dict[str, str] | None = None) -> http.Response:
    return http.Response.make(
        status,
        text.encode(),
        {**_HEADERS, "content-type": "text/plain; charset=utf-8", **(extra or {})},
    )
