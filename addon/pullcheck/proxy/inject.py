"""Put the banner into HTML pages of configured sites: one same-origin external script tag.

Bytes in, bytes out: the body is searched case-insensitively for `</head>` (else after `<head>`,
else at the start of `<body>`, else after `<html>`) and a short ASCII snippet is spliced in, so
the page's charset and markup stay exactly as sent (no HTML parse: a parse costs hundreds of
milliseconds on a big page and rewrites markup; see mitmproxy-notes.md). The body is decoded
first (`flow.response.decode()`) so no brotli is re-encoded; the browser gets it uncompressed over
loopback.

CSP (see `csp.py`): the script tag carries the page's own nonce when every enforcing policy
accepts it; otherwise the policies that block it get the smallest addition (a fresh nonce, or the
script's exact URL where a nonce would switch off the page's `'unsafe-inline'`). Report-Only
headers are never touched. A `<meta>` policy governs only what comes after it, so the script is
placed before the first one; if a meta policy would block the banner's fetches or stylesheet,
the page is left alone and the reason logged once.

The injected page carries a one-time token (in a `data-` attribute of the script tag, not in its
URL), so it goes out with `Cache-Control: no-store` and
without validators: a cached copy would bring back a token the proxy no longer knows.

Known limits: a `</head>` inside a head `<script>` string or comment would be taken as the real
one (harmless: the tag lands inside that script's text or comment and the banner just does not
load); pages served from a service worker's cache never pass through the proxy.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import secrets
from importlib import resources
from typing import Any, NamedTuple

from mitmproxy import http

from pullcheck.proxy.csp import Origin, meta_blocks, plan_injection
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.pages import page_tokens

logger = logging.getLogger("pullcheck.inject")


def _banner_version() -> str:
    """A number made from the banner files' bytes. banner.js and banner.css are cached for a
    year under `?v=BANNER_VERSION`: a changed banner must be a new URL, or browsers keep running
    the old one after an upgrade."""
    digest = hashlib.sha256()
    for name in ("banner.js", "banner.css"):
        digest.update(resources.files("pullcheck.banner").joinpath(name).read_bytes())
    return str(int(digest.hexdigest()[:12], 16))


BANNER_VERSION = _banner_version()
SCRIPT_PATH = "/__pullcheck__/banner.js"
# The head is searched only this far for `</head>` and meta policies when a page has no `</head>`.
HEAD_SCAN_LIMIT = 256 * 1024

_HEAD_CLOSE = re.compile(rb"</head\s*>", re.IGNORECASE)
_HEAD_OPEN = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_BODY_OPEN = re.compile(rb"<body(?:\s[^>]*)?>", re.IGNORECASE)
_HTML_OPEN = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)
# A <meta ...> tag, attribute values quoted or not (a '>' inside quotes does not end the tag).
_META = re.compile(rb"""<meta\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_ATTR = re.compile(
    rb"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""", re.IGNORECASE
)
_HTML_TYPES = (b"text/html", b"application/xhtml+xml")
_logged: set[tuple[str, str]] = set()
_MAX_LOGGED = 1024


class MetaPolicy(NamedTuple):
    start: int
    content: str


class InsertionPoint(NamedTuple):
    offset: int
    metas: list[MetaPolicy]


def _attributes(tag: bytes) -> dict[str, str]:
    attrs: dict[str, str] = {}
    inner = tag[5:-1]  # drop "<meta" and ">"
    for match in _ATTR.finditer(inner):
        name = match.group(1).decode("latin-1").lower()
        raw = match.group(2) or match.group(3) or match.group(4) or b""
        attrs.setdefault(name, html.unescape(raw.decode("latin-1")))
    return attrs


def meta_policies(head: bytes) -> list[MetaPolicy]:
    """Enforcing `<meta http-equiv="Content-Security-Policy">` tags in a head region.
    (Report-Only is not allowed in a meta tag, so browsers ignore it; so do we.)"""
    found: list[MetaPolicy] = []
    lowered_probe = b"content-security-policy"
    if lowered_probe not in head.lower():
        return found
    for match in _META.finditer(head):
        attrs = _attributes(match.group(0))
        if attrs.get("http-equiv", "").strip().lower() == "content-security-policy":
            found.append(MetaPolicy(match.start(), attrs.get("content", "")))
    return found


def _tag_at(
    pattern: re.Pattern[bytes], body: bytes, window: bytes, needle: bytes, start: int = 0
) -> re.Match[bytes] | None:
    """The first match of `pattern` in `body`, found with `bytes.find` on a lower-cased `window`
    of it (memchr-fast) instead of a case-insensitive regex scan (slow on big pages)."""
    at = window.find(needle, start)
    while at != -1:
        match = pattern.match(body, at)
        if match is not None:
            return match
        at = window.find(needle, at + 1)
    return None


def _first_head_close(
    body: bytes,
    start: int,
    end: int,
    needles: tuple[bytes, ...] = (b"</head", b"</HEAD"),
    upper_only_before_lower: bool = False,
) -> re.Match[bytes] | None:
    """The first `</head>` spelled as one of `needles` in `body[start:end]`. With
    `upper_only_before_lower`, `</HEAD` is looked for only before a `</head` that was found:
    when there is none, the caller's lower-cased search finds every spelling anyway, and one
    full scan of the window is saved (a page without `</head>` is the slow case)."""
    best: re.Match[bytes] | None = None
    for needle in needles:
        if upper_only_before_lower and best is None and needle != needles[0]:
            return None
        # Only an earlier match than the one found so far matters: stop searching there.
        stop = best.start() if best is not None else end
        at = body.find(needle, start, stop)
        while at != -1:
            match = _HEAD_CLOSE.match(body, at)
            if match is not None:
                best = match
                break
            at = body.find(needle, at + 1, stop)
    return best


def _head_close(body: bytes) -> tuple[re.Match[bytes] | None, bytes | None]:
    """The first `</head>`, and the lower-cased head window if it had to be made.

    The usual spellings are found with `bytes.find` in the first HEAD_SCAN_LIMIT bytes; then any
    spelling (`</Head>`) in a lower-cased copy of that window. The rest of the page is searched
    only when the window holds no `<body` either (a head bigger than the window): once the body
    has started, a later `</head>` is not the head's end."""
    found = _first_head_close(body, 0, HEAD_SCAN_LIMIT, upper_only_before_lower=True)
    if found is not None:
        return found, None
    window = body[:HEAD_SCAN_LIMIT].lower()
    found = _tag_at(_HEAD_CLOSE, body, window, b"</head")
    if found is not None and body[found.start() + 2 : found.start() + 6] != b"HEAD":
        # Mixed case (`</Head>`): an upper-case `</HEAD>` later in the window is preferred, as
        # when both spellings were searched for directly.
        upper = _first_head_close(body, found.start(), HEAD_SCAN_LIMIT, needles=(b"</HEAD",))
        if upper is not None:
            found = upper
    if found is not None or len(body) <= HEAD_SCAN_LIMIT or b"<body" in window:
        return found, window
    return _first_head_close(body, HEAD_SCAN_LIMIT - 16, len(body)), window


def insertion_point(body: bytes) -> InsertionPoint | None:
    """Where the script tag goes, and the meta policies of the head. None: not a page."""
    close, window = _head_close(body)
    if close is not None:
        head_end, offset = close.start(), close.start()
    else:
        if window is None:  # pragma: no cover - _head_close makes it when it finds nothing
            window = body[:HEAD_SCAN_LIMIT].lower()
        opening = _tag_at(_HEAD_OPEN, body, window, b"<head") or _tag_at(
            _BODY_OPEN, body, window, b"<body"
        )
        if opening is None:
            opening = _tag_at(_HTML_OPEN, body, window, b"<html")
        if opening is None:
            return None
        offset = opening.end()
        body_open = _tag_at(_BODY_OPEN, body, window, b"<body", offset)
        head_end = body_open.start() if body_open else min(len(body), HEAD_SCAN_LIMIT)
    metas = meta_policies(body[:head_end])
    if metas:
        offset = min(offset, metas[0].start)
    return InsertionPoint(offset, metas)


def script_tag(token: str, nonce: str | None) -> bytes:
    # The token goes in a data- attribute, never in the URL: a site's Report-Only CSP reports
    # send script URLs to the site, and the page token must not leave the page.
    nonce_attr = f' nonce="{nonce}"' if nonce else ""
    tag = (
        f'<script src="{SCRIPT_PATH}?v={BANNER_VERSION}" data-pullcheck-token="{token}"'
        f'{nonce_attr} async data-pullcheck=""></script>'
    )
    return tag.encode("ascii")


def is_page(flow: http.HTTPFlow) -> bool:
    response = flow.response
    if response is None or not (200 <= response.status_code < 300):
        return False
    if flow.request.method not in ("GET", "POST"):
        return False
    content_type = response.headers.get("content-type", "").encode("latin-1", "replace").lower()
    if not content_type.startswith(_HTML_TYPES):
        return False
    # Only documents: an HTML fragment fetched by the page's own script is not a page.
    dest = flow.request.headers.get("sec-fetch-dest")
    return dest is None or dest in ("document", "iframe", "frame")


def _csp_origin(flow: http.HTTPFlow) -> Origin:
    """The page's origin as CSP source matching sees it."""
    request = flow.request
    return Origin(request.scheme.lower(), request.host.lower(), request.port)


def _log_once(origin: str, reason: str) -> None:
    key = (origin, reason)
    if key in _logged:
        return
    if len(_logged) < _MAX_LOGGED:
        _logged.add(key)
    logger.info("pullcheck: no banner on %s: %s", origin, reason)


def _fresh_nonce() -> str:
    return secrets.token_urlsafe(18)


def inject_banner(flow: http.HTTPFlow, state: Any) -> None:
    """Insert the banner script into an HTML page response (in place); leave anything else be.

    The caller (the add-on) decides the flow belongs to a configured site and runs this inside
    its fail-open guard; any error here leaves the response as it was (see `ResponseSnapshot`).
    """
    if not is_page(flow):
        return
    response = flow.response
    assert response is not None
    if response.raw_content is None:  # streamed: the body never sits in memory
        return
    try:
        response.decode()
    except ValueError:
        return  # a body whose declared encoding lies: leave it exactly as it is
    body = response.raw_content or b""
    point = insertion_point(body)
    origin = _csp_origin(flow)
    # The token is bound to the origin string the control endpoints check against.
    serialized = request_origin(flow.request)
    if point is None:
        return
    if SCRIPT_PATH.encode() in body[: max(point.offset, 0) + 1024]:
        return  # already injected (two pullcheck proxies in a row)
    blocked = meta_blocks([m.content for m in point.metas], origin)
    if blocked:
        _log_once(serialized, blocked)
        return
    plan = plan_injection(response.headers.get_all("content-security-policy"), origin, _fresh_nonce)
    if not plan.inject:
        _log_once(serialized, plan.reason)
        return
    token = page_tokens(state).issue(serialized)
    tag = script_tag(token, plan.nonce)
    # One copy of the page (a join of views), not three (two slices and a concatenation).
    view = memoryview(body)
    new_body = b"".join((view[: point.offset], tag, view[point.offset :]))
    if plan.headers is not None:
        response.headers.set_all("content-security-policy", plan.headers)
    # The page now carries a one-time token (and maybe a fresh nonce): a copy from the browser's
    # cache, or one revalidated with a 304, would bring back a token the proxy may have dropped
    # (restart, expiry), leaving the banner locked out. So this response is not stored.
    response.headers["cache-control"] = "no-store"
    for validator in ("etag", "last-modified"):
        response.headers.pop(validator, None)
    response.raw_content = new_body
    if "content-length" in response.headers or "transfer-encoding" not in response.headers:
        response.headers["content-length"] = str(len(new_body))
