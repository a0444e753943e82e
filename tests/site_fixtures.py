"""Load the shared site fixtures (../shared/fixtures beside the repository) as wire objects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from pullcheck.sites.wire import WireRequest, WireResponse

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SITES = ("x", "mastodon", "bluesky", "linkedin", "reddit")

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES} (../shared beside "
    "the clone in CI)"
)

# Every adapter-relevant link in a draft text (the engine's feature extractor finds these too).
TEXT_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def fixture_names(site: str, direction: str | None = None) -> list[str]:
    if not FIXTURES.is_dir():
        return []
    names = []
    for path in sorted(FIXTURES.glob(f"{site}_*.json")):
        if direction is None or load(path.name)["direction"] == direction:
            names.append(path.name)
    return names


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def to_request(spec: dict[str, Any], body: bytes | None = None) -> WireRequest:
    url = urlsplit(spec["url"])
    scheme = url.scheme.replace("wss", "https").replace("ws", "http")
    port = url.port or (443 if scheme == "https" else 80)
    raw = spec.get("body") or ""
    return WireRequest(
        method=spec.get("method", "GET").upper(),
        scheme=scheme,
        host=(url.hostname or "").lower(),
        port=port,
        path=url.path,
        query=dict(parse_qsl(url.query, keep_blank_values=True)),
        headers={k.lower(): v for k, v in (spec.get("headers") or {}).items()},
        body=raw.encode("utf-8") if body is None else body,
    )


def request_of(fixture: dict[str, Any], **extra_headers: str) -> WireRequest:
    request = to_request(fixture["request"])
    if extra_headers:
        headers = dict(request.headers)
        headers.update({k.replace("_", "-"): v for k, v in extra_headers.items()})
        request = WireRequest(request.method, request.scheme, request.host, request.port,
                              request.path, request.query, headers, request.body)
    return request


def response_of(fixture: dict[str, Any], **extra_headers: str) -> WireResponse:
    spec = fixture["response"]
    return WireResponse(
        request=request_of({"request": {**fixture["request"], "body": ""}}, **extra_headers),
        status=spec.get("status", 200),
        headers={k.lower(): v for k, v in (spec.get("headers") or {}).items()},
        body=spec["body"].encode("utf-8"),
    )


def all_links(draft: Any) -> set[str]:
    """Links a draft carries: structured ones plus those written in its text."""
    return set(draft.links) | {m.rstrip(".,;:!?") for m in TEXT_URL.findall(draft.text)}
