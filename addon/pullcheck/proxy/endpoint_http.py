"""How every banner endpoint under `/__pullcheck__/` reads its JSON body and writes its answer.

Bodies are checked with pydantic at the edge (`parse_body`: too large or malformed is None, and
the endpoint answers 400). Answers are JSON with `no-store` and `nosniff`; a refused request
gets 403 with an empty body (`forbidden`), so another site learns nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from mitmproxy import http
from mitmproxy.net.http import status_codes
from pydantic import BaseModel, ConfigDict, ValidationError

from pullcheck.config import Config, ConfigError
from pullcheck.config_summary import error_line
from pullcheck.memory import Memory
from pullcheck.models import Draft, Verdict
from pullcheck.proxy.feed import VerdictFeed
from pullcheck.proxy.flowwire import bounded_body
from pullcheck.proxy.holds import HoldRegistry
from pullcheck.proxy.pages import PageTokens
from pullcheck.proxy.siteroute import SiteRoute
from pullcheck.proxy.tally import ProxyTally
from pullcheck.proxy.trust import RateLimit

PREFIX = "/__pullcheck__/"
TOKEN_HEADER = "x-pullcheck-token"
MAX_BODY = 256 * 1024
SECURITY_HEADERS = {"x-content-type-options": "nosniff"}
PLATFORMS = ("x", "mastodon", "bluesky", "linkedin", "reddit")

BodyT = TypeVar("BodyT", bound=BaseModel)


class DraftJudge(Protocol):
    def judge(self, draft: Draft) -> Verdict: ...


class ConfigReloads(Protocol):
    """The config watcher (`ConfigWatcher`) as the endpoints use it."""

    @property
    def error(self) -> ConfigError | None: ...

    def poll(self) -> bool: ...


class EndpointState(Protocol):
    """What the banner's endpoints need of the proxy's state (`ProxyState`). The parts a
    proxy may run without are None: `memory` (the draft is judged as the page sent it),
    `route` (the platform is the one the page names), `tally` (nothing counted), `watcher`
    (no reload after a "Not push" choice)."""

    @property
    def engine(self) -> DraftJudge: ...

    @property
    def feed(self) -> VerdictFeed: ...

    @property
    def holds(self) -> HoldRegistry: ...

    @property
    def config(self) -> Config: ...

    @property
    def pages(self) -> PageTokens: ...

    @property
    def mode(self) -> str: ...

    @property
    def memory(self) -> Memory | None: ...

    @property
    def route(self) -> SiteRoute | None: ...

    @property
    def tally(self) -> ProxyTally | None: ...

    @property
    def watcher(self) -> ConfigReloads | None: ...

    @property
    def notpush_rate(self) -> RateLimit: ...

    def later(self, stage: str, job: Callable[[], object]) -> None:
        """Run `job` (a count, a disk write) off the event loop."""


class Body(BaseModel):
    """An endpoint's JSON body: unknown keys ignored, every string bounded."""

    model_config = ConfigDict(extra="ignore", str_max_length=50_000)


_JSON_FIELDS = (
    (b"content-type", b"application/json; charset=utf-8"),
    (b"cache-control", b"no-store"),
    *((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
)
_FORBIDDEN_FIELDS = (
    (b"cache-control", b"no-store"),
    *((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
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


def json_response(status: int, payload: Any) -> http.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _made(status, body, _JSON_FIELDS)


def forbidden() -> http.Response:
    return _made(403, b"", _FORBIDDEN_FIELDS)


def parse_body(flow: http.HTTPFlow, model: type[BodyT]) -> BodyT | None:
    """The request's JSON body as `model`, or None when it is too large or does not fit."""
    # Decoded within the limit: `get_content` would inflate a small brotli body to any size first.
    raw = bounded_body(flow.request, MAX_BODY)
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError:
        return None


def config_error(state: EndpointState) -> str | None:
    """The rejected config edit now on disk, as one line the banner shows (`file:line key
    message`, the file by name only), or None while the config on disk is in service."""
    error = state.watcher.error if state.watcher is not None else None
    return error_line(error) if error is not None else None


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """A verdict as every page-facing answer carries it (live checks, send-time events, holds)."""
    return verdict.model_dump(mode="json")


def platform_of(flow: http.HTTPFlow, state: EndpointState, asked: str | None) -> str:
    """The platform the page named, or else the site whose hosts this origin is configured as."""
    if asked in PLATFORMS:
        return asked
    if state.route is None:
        return "other"
    request = flow.request
    adapter = state.route.match(request.host.lower(), request.port, PREFIX)
    return adapter.name if adapter is not None else "other"
