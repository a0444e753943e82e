"""Put the banner into HTML pages of configured sites: one same-origin external script tag.

Bytes in, bytes out: the head is walked tag by tag (`_scan_head`, no parse tree) to its real
end, `</head>`, else to where `<body` starts, else the page is left alone; a short ASCII snippet
is spliced in there, so the page's charset and markup stay exactly as sent (a full HTML parse
costs hundreds of milliseconds on a big page and rewrites markup; see mitmproxy-notes.md). The
walk skips comments and the text of raw-text elements (script, style, title, textarea,
template, ...), so a `</head>` inside the page's own inline script is not mistaken for the end
of the head. The body is decoded first (`flow.response.decode()`) so no brotli is re-encoded;
the browser gets it uncompressed over loopback.

CSP (see `csp.py`): the script tag carries the page's own nonce when every enforcing policy
accepts it; otherwise the header policies that block it get the smallest addition (a fresh
nonce, or the script's exact URL where a nonce would switch off the page's `'unsafe-inline'`).
Report-Only headers are never touched. `<meta>` policies of the head are read and never
edited: they govern the tag (placed after them), so when one would block the banner's script,
fetches or stylesheet (`script-src 'none'`, say), the page is left alone and the reason logged
once.

The injected page carries a one-time token (in a `data-` attribute of the script tag, not in its
URL), so it goes out with `Cache-Control: no-store` and
without validators: a cached copy would bring back a token the proxy no longer knows.

Known limits: pages served from a service worker's cache never pass through the proxy; a head
with more than MAX_HEAD_TAGS tags gets no banner.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import secrets
from collections.abc import Callable
from importlib import resources
from typing import NamedTuple

from mitmproxy import http

from pullcheck.proxy.csp import Origin, meta_blocks, nonces_of, parse_header, plan_injection
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.pages import HasPages

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

# A start or end tag's name; the rest of a tag up to its `>` (a `>` inside quotes does not end
# it; the alternatives start with different characters, so it never backtracks).
_TAG_NAME = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)")
_TAG_REST = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
# Elements whose content is text to the parser (or, for template, not the head's): skipped.
_RAW_TEXT = frozenset(
    (
        b"script",
        b"style",
        b"title",
        b"textarea",
        b"template",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
    )
)
# Each raw-text element's end tag, in any case.
_CLOSERS = {name: re.compile(rb"</(?i:" + name + rb")(?=[\s/>])") for name in _RAW_TEXT}
# A head with more tags than this is not walked to its end (the page is left alone).
MAX_HEAD_TAGS = 4096
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
    """Enforcing `<meta http-equiv="Content-Security-Policy">` tags of a head, outside scripts
    and comments. (Report-Only is not allowed in a meta tag, so browsers ignore it; so do we.)"""
    return _scan_head(head)[1]


def _closing_tag(body: bytes, start: int, name: bytes) -> int:
    """Where `</name` (any case, then a space, `/` or `>`) first occurs from `start`; -1.
    One regex search in C: its literal `</` prefix is scanned for at memchr speed, and only
    there is the name compared without case (walking every `</` in Python cost 42 ms on a
    500 KB script that writes markup; this takes about 0.4 ms)."""
    match = _CLOSERS[name].search(body, start)
    return -1 if match is None else match.start()


def _scan_head(body: bytes) -> tuple[int | None, list[MetaPolicy]]:
    """Walk the head tag by tag (no parse tree): where it really ends (`</head>`, else where
    `<body` starts), and its enforcing meta policies. The text of raw-text elements (`script`,
    `style`, `title`, `textarea`, `template`, ...) and comments is skipped whole, so a `</head>`
    or a `<meta>` written inside a script or a comment is never taken for the real one (once it
    was, and the tag landed in the page's own inline script, which then failed). None: no end
    of head was found (a fragment, an unterminated comment or tag, or too many tags)."""
    metas: list[MetaPolicy] = []
    pos = 0
    for _ in range(MAX_HEAD_TAGS):
        at = body.find(b"<", pos)
        if at == -1:
            return None, metas
        if body.startswith(b"<!--", at):
            end = body.find(b"-->", at + 4)
            if end == -1:
                return None, metas
            pos = end + 3
            continue
        if body[at + 1 : at + 2] in (b"!", b"?"):  # doctype, processing instruction
            end = body.find(b">", at)
            if end == -1:
                return None, metas
            pos = end + 1
            continue
        tag = _TAG_NAME.match(body, at)
        if tag is None:  # a lone `<` in text
            pos = at + 1
            continue
        name = tag.group(2).lower()
        if tag.group(1):  # a closing tag
            if name == b"head":
                return at, metas
            end = body.find(b">", tag.end())
            pos = tag.end() if end == -1 else end + 1
            continue
        if name == b"body":
            return at, metas
        rest = _TAG_REST.match(body, tag.end())
        if rest is None:
            return None, metas
        if name == b"meta":
            attrs = _attributes(body[at : rest.end()])
            if attrs.get("http-equiv", "").strip().lower() == "content-security-policy":
                metas.append(MetaPolicy(at, attrs.get("content", "")))
        if name in _RAW_TEXT:
            close = _closing_tag(body, rest.end(), name)
            if close == -1:
                return None, metas
            pos = close
            continue
        pos = rest.end()
    return None, metas


def insertion_point(body: bytes) -> InsertionPoint | None:
    """Where the script tag goes (the real end of the head, else the start of `<body`), and
    the head's meta policies, which then govern it. None: nowhere safe, leave the page."""
    offset, metas = _scan_head(body)
    if offset is None:
        return None
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


def _meta_nonces(metas: list[str]) -> list[str]:
    found: list[str] = []
    for value in metas:
        for policy in parse_header(value):
            directive = policy.effective("script")
            if directive is not None:
                found.extend(n for n in nonces_of(directive.sources) if n not in found)
    return found


def _always(nonce: str) -> Callable[[], str]:
    """A nonce source that offers this nonce (instead of a fresh one)."""
    return lambda: nonce


def _fresh_nonce() -> str:
    return secrets.token_urlsafe(18)


def inject_banner(flow: http.HTTPFlow, state: HasPages) -> None:
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
    if point is None:
        return
    if SCRIPT_PATH.encode() in body[max(point.offset - 2048, 0) : point.offset + 1024]:
        # Already injected (two pullcheck proxies in a row): the first one's tag sits right
        # before the same end of the head. (Searching the whole head cost 12 ms on a head with
        # a 500 KB inline script.)
        return
    origin = _csp_origin(flow)
    # The token is bound to the origin string the control endpoints check against.
    serialized = request_origin(flow.request)
    policies = response.headers.get_all("content-security-policy")
    plan = plan_injection(policies, origin, _fresh_nonce)
    if not plan.inject:
        _log_once(serialized, plan.reason)
        return
    # The tag goes after the head's meta policies, which govern it; they are never edited.
    metas = [m.content for m in point.metas]
    blocked = meta_blocks(metas, origin, nonce=plan.nonce)
    if blocked and plan.nonce is None and plan.headers is None:
        # A page whose only nonce policy is a meta one: carry a nonce every policy accepts.
        for nonce in _meta_nonces(metas):
            if not meta_blocks(metas, origin, nonce=nonce) and plan_injection(
                policies, origin, _always(nonce)
            ).nonce in (None, nonce):
                plan.nonce, blocked = nonce, ""
                break
    if blocked:
        _log_once(serialized, blocked)
        return
    token = state.pages.issue(serialized)
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
