"""mitmproxy flows -> the plain `WireRequest`/`WireResponse` the site adapters read.

The adapters know nothing of mitmproxy; this is the one place that does the translation. Bodies
are decoded (gzip, br, zstd, deflate) from `raw_content` by `inflate`, which stops as soon as
the output passes `max_body`: mitmproxy's own `.content` decodes everything first, and a 1.6 KB
brotli body became 1 GiB. A body over `max_body` bytes, on the wire or once decoded, is not
analysed: the translation returns None and the flow passes through untouched (nothing here
writes to the flow). A body whose declared encoding is wrong is read as sent, as mitmproxy's
`get_content(strict=False)` does.
"""

from __future__ import annotations

from mitmproxy import http

from pullcheck.proxy.inflate import inflate
from pullcheck.proxy.trust import origin_of
from pullcheck.sites.wire import WireRequest, WireResponse


def _headers(headers: http.Headers) -> dict[str, str]:
    # Lower-case keys; a header sent twice is joined the way HTTP allows folding it. Read from
    # the raw fields, decoded as mitmproxy's own `items(multi=True)` does (utf-8,
    # surrogateescape), without its generator of per-field calls.
    out: dict[str, str] = {}
    for raw_key, raw_value in headers.fields:
        key = raw_key.decode("utf-8", "surrogateescape").lower()
        value = raw_value.decode("utf-8", "surrogateescape")
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _query(request: http.Request) -> dict[str, str]:
    """The query as `dict(request.query.items())` has it (first value of a repeated name), but
    parsed once: the view's `items()` parses the whole URL again for every name, and a path
    without `?` has no query to parse at all."""
    if "?" not in request.path:
        return {}
    out: dict[str, str] = {}
    for name, value in request.query.fields:
        out.setdefault(name, value)
    return out


def bounded_body(message: http.Message, max_body: int) -> bytes | None:
    """The body with its content-encoding undone, or None when it is streamed, or larger than
    `max_body` on the wire or decoded (a small compressed body may inflate past the limit: a
    bomb, or just a big post). Never touches `message.content`, never changes the message."""
    raw = message.raw_content
    if raw is None:
        # Streamed (stream_large_bodies): the body never sits in memory, so nothing to read.
        return None
    if len(raw) > max_body:
        return None
    encoding = message.headers.get("content-encoding")
    if not encoding:
        return raw
    try:
        return inflate(raw, encoding, max_body)
    except ValueError:
        return raw  # not what the header says: read the bytes as sent


def needs_decoding(message: http.Message) -> bool:
    """Whether reading this body means inflating it (work worth keeping off the event loop)."""
    encoding = message.headers.get("content-encoding", "").strip().lower()
    return encoding not in ("", "identity")


def page_origin(request: http.Request) -> str:
    """The origin of the page that sent a request: its `Origin` header, else the request's own."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower()
    return request_origin(request)


def request_origin(request: http.Request) -> str:
    return origin_of(request.scheme, request.host, request.port)


def wire_request(request: http.Request, max_body: int) -> WireRequest | None:
    body = bounded_body(request, max_body)
    if body is None:
        return None
    return wire_request_head(request, body)


def wire_response(flow: http.HTTPFlow, max_body: int) -> WireResponse | None:
    if flow.response is None:
        return None
    body = bounded_body(flow.response, max_body)
    if body is None:
        return None
    return WireResponse(
        request=wire_request_head(flow.request),
        status=flow.response.status_code,
        headers=_headers(flow.response.headers),
        body=body,
    )


def wire_request_head(request: http.Request, body: bytes = b"") -> WireRequest:
    """The request, without its body unless given: a read-side harvest needs only the head."""
    return WireRequest(
        method=request.method.upper(),
        scheme=request.scheme.lower(),
        host=request.host.lower(),
        port=request.port,
        path=request.path.split("?", 1)[0],
        query=_query(request),
        headers=_headers(request.headers),
        body=body,
    )
