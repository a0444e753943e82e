"""What a watched site's answers teach the proxy, once a hook has routed them here.

- A compose request the site accepted (2xx, and no GraphQL `errors` refusal) enters the sent log,
  reusing the judgement's features when the same engine records it.
- A read response or a streaming message of a host that may teach (`trust.may_teach`) goes
  through the site adapter into memory, under that host's scope, and its posts to the
  opportunity spotter ("your numbers").

Each runs inside `FailSafe.guard`: an error here leaves the flow as it was.
"""

from __future__ import annotations

from mitmproxy import http

from pullcheck.proxy.accepted import site_accepted
from pullcheck.proxy.flowwire import page_origin, wire_response
from pullcheck.proxy.judge_flow import Judged
from pullcheck.proxy.state import ProxyState
from pullcheck.proxy.trust import may_teach, scope_of
from pullcheck.sites.adapter import SiteAdapter
from pullcheck.sites.wire import Harvest

# Read responses never worth parsing: the site's static assets.
_SKIP_READ_TYPES = ("image/", "font/", "video/", "audio/", "text/css", "application/wasm")
_SKIP_READ_SCRIPT = "javascript"


def worth_reading(response: http.Response, content_type: str) -> bool:
    """A 2xx answer that may hold posts: not an error, not a static asset."""
    if not 200 <= response.status_code < 300:
        return False
    return not (content_type.startswith(_SKIP_READ_TYPES) or _SKIP_READ_SCRIPT in content_type)


def record_if_accepted(
    state: ProxyState, judged: Judged, response: http.Response, content_type: str
) -> None:
    with state.failsafe.guard("sent-log"):
        if judged.may_store and site_accepted(response, content_type):
            reuse = judged.judgement if judged.engine is state.engine else None
            state.record_sent(judged.draft, reuse)


def learn_from_response(flow: http.HTTPFlow, state: ProxyState, adapter: SiteAdapter) -> None:
    """A 2xx read response of a watched site (not a static asset: `worth_reading`)."""
    req = flow.request
    with state.failsafe.guard(f"harvest:{adapter.name}"):
        if not may_teach(state, req.scheme, req.host.lower(), req.port, adapter.name):
            return  # a host nobody configured and no page of it open: it teaches nothing
        wire = wire_response(flow, state.max_body)
        if wire is None:
            return
        harvest = adapter.harvest(wire)
        if harvest:
            remember(state, adapter.name, harvest, req)


def learn_from_message(
    req: http.Request, text: str, state: ProxyState, adapter: SiteAdapter
) -> None:
    """A text message from the site on a watched streaming connection."""
    with state.failsafe.guard(f"harvest-ws:{adapter.name}"):
        if not may_teach(state, req.scheme, req.host.lower(), req.port, adapter.name):
            return
        harvest = adapter.harvest_websocket(text)
        if harvest:
            remember(state, adapter.name, harvest, req)


def remember(state: ProxyState, platform: str, harvest: Harvest, req: http.Request) -> None:
    """What a read response of a host that may teach showed: into memory under that host's
    scope, and its posts to the opportunity spotter."""
    scope = scope_of(state.route, platform, req.host.lower(), req.port)
    state.memory.remember(platform, harvest, scope=scope)
    if state.tally:
        state.tally.harvested(
            platform, harvest.posts, state.config.offer, state.feed, page_origin(req)
        )
