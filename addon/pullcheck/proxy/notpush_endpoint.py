"""`POST /__pullcheck__/notpush`: {code, recipient|domain, reason?} -> the local "Not push"
allowlist file the config reads, then a reload so the banner's next check already sees it.

Any script on the page can call this, so it is rate-limited per origin, and the file is
bounded (`NotPushFull`); the write runs off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import yaml
from mitmproxy import http
from pydantic import Field, model_validator

from pullcheck.notpush import RATE_PER_MINUTE, NotPushFull, append_notpush
from pullcheck.proxy.endpoint_http import (
    Body,
    EndpointState,
    json_response,
    parse_body,
    platform_of,
)
from pullcheck.proxy.trust import RateLimit

logger = logging.getLogger("pullcheck.control")


def rate_limit(state: Any) -> RateLimit:
    """The proxy state's "Not push" rate limit (per page origin), attached on first use."""
    limit = getattr(state, "notpush_rate", None)
    if limit is None:
        limit = RateLimit(RATE_PER_MINUTE, RATE_PER_MINUTE, max_keys=256)
        state.notpush_rate = limit
    return limit


# How often to ask the config watcher to reload before answering the banner.
RELOAD_TRIES = 5
RELOAD_PAUSE_S = 0.2

_CODE = r"^[A-Z]{1,5}[0-9]{1,5}$"
# Handles: X/Reddit/LinkedIn names, Mastodon `user@instance`, Bluesky `name.bsky.social`.
_HANDLE = r"^@?[A-Za-z0-9_.\-]+(@[A-Za-z0-9.\-]+)?$"
_DOMAIN = r"^([a-z0-9]([a-z0-9\-]*[a-z0-9])?\.)+[a-z0-9\-]{2,63}$"


class NotPushRequest(Body):
    code: str = Field(pattern=_CODE)
    recipient: str | None = Field(default=None, pattern=_HANDLE, max_length=300)
    domain: str | None = Field(default=None, pattern=_DOMAIN, max_length=253)
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> NotPushRequest:
        if not self.recipient and not self.domain:
            raise ValueError("a recipient or a domain is needed")
        return self


def notpush_path(state: EndpointState) -> Path:
    return state.config.notpush_path()


async def notpush(flow: http.HTTPFlow, state: EndpointState, origin: str) -> http.Response:
    ask = parse_body(flow, NotPushRequest)
    if ask is None:
        return json_response(400, {"error": "expected JSON {code, recipient or domain, reason?}"})
    entry = {"code": ask.code}
    if ask.recipient:
        entry["recipient"] = ask.recipient.lstrip("@")
    if ask.domain:
        entry["domain"] = ask.domain
    if ask.reason:
        entry["reason"] = re.sub(r"\s+", " ", ask.reason).strip()
    entry["origin"] = origin
    if not rate_limit(state).allow(origin):
        # Any script on the page can call this: a few a minute is all a person clicks.
        return json_response(
            429,
            {
                "ok": False,
                "error": "too many 'Not push' choices from this page; try again in a minute",
            },
        )
    path = notpush_path(state)
    try:
        # Off the event loop: a slow disk or a long file must not stall other traffic.
        await asyncio.to_thread(append_notpush, path, entry)
    except NotPushFull as full:
        return json_response(409, {"ok": False, "error": str(full)})
    except (OSError, ValueError, yaml.YAMLError) as error:
        logger.warning("pullcheck: could not record 'Not push' in %s: %s", path, error)
        return json_response(500, {"ok": False, "error": "could not write the allowlist file"})
    tally = getattr(state, "tally", None)
    if tally is not None:  # "your numbers" counts the override (never its text)
        tally.notpush(platform_of(flow, state, None))
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
    return json_response(200, {"ok": True})


def _allowed_now(state: EndpointState, entry: dict[str, str]) -> bool:
    allow = getattr(getattr(state, "config", None), "allow", None)
    if allow is None:
        return True  # nothing to compare with: one poll is all we can do
    handles = {str(h).lower().lstrip("@") for h in allow.handles}
    domains = {str(d).lower() for d in allow.domains}
    if "recipient" in entry and entry["recipient"].lower() not in handles:
        return False
    return "domain" not in entry or entry["domain"].lower() in domains
