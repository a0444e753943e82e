"""The banner's two static files, `banner.js` and `banner.css`, served under `/__pullcheck__/`
on each configured origin without a token: read once from the package, cached for a year by the
browser (the injected URL carries `?v=BANNER_VERSION`, so a new version is a new URL)."""

from __future__ import annotations

from importlib import resources

from mitmproxy import http

from pullcheck.proxy.endpoint_http import SECURITY_HEADERS
from pullcheck.proxy.inject import BANNER_VERSION

CONTENT_TYPES = {
    "banner.js": "application/javascript; charset=utf-8",
    "banner.css": "text/css; charset=utf-8",
}
_cache: dict[str, bytes] = {}


def is_banner_file(name: str) -> bool:
    return name in CONTENT_TYPES


def banner_file(name: str) -> http.Response:
    """The 200 answer for one of `CONTENT_TYPES`' names."""
    body = _cache.get(name)
    if body is None:
        body = resources.files("pullcheck.banner").joinpath(name).read_bytes()
        _cache[name] = body
    return http.Response.make(
        200,
        body,
        {
            "content-type": CONTENT_TYPES[name],
            "cache-control": "public, max-age=31536000, immutable",
            "etag": f'"pullcheck-{BANNER_VERSION}"',
            **SECURITY_HEADERS,
        },
    )
