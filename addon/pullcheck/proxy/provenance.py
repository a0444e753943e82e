"""Where a compose request came from, and which page may show its hold.

A page's banner is tied to a compose request by the request's `Origin` header. Only a request
whose `Origin` is one of the site's own configured origins counts as sent by a page of that site
(`own`). `Origin: null` (a sandboxed iframe, a redirect across sites), no `Origin` at all (a
script, a bot) or another origin is never taken for the site's own: its hold is still shown on
the site's page (the request goes to that site), but as "did not come from this page", with where
it came from. Nothing here knows mitmproxy.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from pullcheck.proxy.siteroute import SiteRoute


class Provenance(NamedTuple):
    # The request's Origin header as sent: None when absent, "null" for an opaque origin.
    sent_from: str | None
    # Sent by a page of the site the request goes to.
    own: bool
    # The page origin whose banner may show and decide the hold; "" when no page can.
    channel: str


def origin_parts(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a serialized origin, or None when it is not one."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or parts.path not in ("", "/"):
        return None
    return scheme, host, port if port is not None else (443 if scheme == "https" else 80)


def provenance(
    sent_from: str | None,
    site: str,
    request_origin: str,
    route: SiteRoute,
    request_host: str,
    request_port: int,
) -> Provenance:
    """Where a compose request for `site` (sent to `request_origin`) came from."""
    if sent_from is not None and sent_from.strip().lower() not in ("", "null"):
        parts = origin_parts(sent_from)
        if parts is not None and site in route.sites_on(parts[1], parts[2]):
            return Provenance(sent_from, True, sent_from.strip().lower())
    channel = request_origin if route.is_configured_origin(request_host, request_port) else ""
    return Provenance(sent_from, False, channel)
