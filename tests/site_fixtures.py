"""Load the site fixtures (tests/fixtures) as wire objects.

A fixture the tests name but cannot find fails the run: `fixture_names` refuses to give an empty
list (pytest would skip an empty parametrization quietly) and `load` raises on a missing file.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pullcheck.sites.adapter import SiteAdapter
from pullcheck.sites.wire import Compose, Harvest, WireRequest, WireResponse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SITES = ("x", "mastodon", "bluesky", "linkedin", "reddit")
# Families with a test file and `expected` keys of their own (tests/test_sites_x_api.py), left
# out of their site's per-operation tests.
OWN_FAMILIES = ("x_api_",)

# Every adapter-relevant link in a draft text (the engine's feature extractor finds these too).
TEXT_URL = re.compile(r"https?://[^\s<>\"')\]]+")


class MissingFixtures(LookupError):
    """No fixture file matches what a test asks for: the folder is incomplete."""


def fixture_names(site: str, direction: str | None = None) -> list[str]:
    """Names of the site's per-operation fixtures (tests/fixtures/<site>_*.json), optionally of
    one direction; families with tests of their own (`OWN_FAMILIES`) are left out."""
    return family_names(f"{site}_", direction, leave_out=OWN_FAMILIES)


def family_names(
    prefix: str, direction: str | None = None, leave_out: tuple[str, ...] = ()
) -> list[str]:
    """Names of tests/fixtures/<prefix>*.json, optionally of one direction; never empty."""
    names = []
    for path in sorted(FIXTURES.glob(f"{prefix}*.json")):
        if path.name.startswith(leave_out):
            continue
        if direction is None or load(path.name)["direction"] == direction:
            names.append(path.name)
    if not names:
        wanted = f"{prefix}*.json" + (f" ({direction})" if direction else "")
        raise MissingFixtures(f"no fixture {wanted} in {FIXTURES}")
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
        request = dataclasses.replace(request, headers=headers)
    return request


def response_of(fixture: dict[str, Any], **extra_headers: str) -> WireResponse:
    spec = fixture["response"]
    return WireResponse(
        request=request_of({"request": {**fixture["request"], "body": ""}}, **extra_headers),
        status=spec.get("status", 200),
        headers={k.lower(): v for k, v in (spec.get("headers") or {}).items()},
        body=spec["body"].encode("utf-8"),
    )


def composed(adapter: SiteAdapter, request: WireRequest) -> Compose:
    """What `adapter` reads from a request the test expects to be a compose request."""
    compose = adapter.compose(request)
    assert compose is not None, f"{adapter.name} did not read {request.method} {request.path}"
    return compose


def harvested(adapter: SiteAdapter, response: WireResponse) -> Harvest:
    """What `adapter` learns from a response the test expects it to read."""
    harvest = adapter.harvest(response)
    assert harvest is not None, f"{adapter.name} read nothing from {response.request.path}"
    return harvest


def all_links(draft: Any) -> set[str]:
    """Links a draft carries: structured ones plus those written in its text."""
    return set(draft.links) | {m.rstrip(".,;:!?") for m in TEXT_URL.findall(draft.text)}


# -- checking an adapter's output against a fixture's `expected` block ---------------------------

# Fixture kinds that the shared `Draft.kind` spells differently.
KIND_ALIASES = {"dm_batch": "dm"}


def check_compose(compose: Any, draft: Any, expected: dict[str, Any]) -> None:
    """Assert every field the fixture names; `draft` is the (possibly enriched) draft."""
    assert compose is not None, "the adapter did not recognise the compose request"
    if "kind" in expected:
        want = KIND_ALIASES.get(expected["kind"], expected["kind"])
        assert draft.kind == want
    if "text" in expected:
        if expected["text"] is None:
            assert draft.text == ""
            assert draft.text_available is False
        else:
            assert draft.text == expected["text"]
    if "text_available" in expected:
        assert draft.text_available is expected["text_available"]
    if "is_reply" in expected:
        is_reply = draft.reply_to is not None and draft.kind != "quote"
        assert is_reply is expected["is_reply"]
    if "reply_to_id" in expected:
        assert draft.reply_to is not None
        assert draft.reply_to.id == expected["reply_to_id"]
    if "quoted_id" in expected:
        assert draft.kind == "quote"
        assert draft.reply_to is not None
        assert draft.reply_to.id == expected["quoted_id"]
    if "is_dm" in expected:
        assert (draft.kind in ("dm", "connect-note")) is expected["is_dm"]
    if "recipients" in expected:
        assert draft.recipients == expected["recipients"]
    if "mentions" in expected:
        assert draft.mentions == expected["mentions"]
    if "links" in expected:
        assert set(expected["links"]) <= all_links(draft)
    for key in ("convo_id", "conversation", "room_id"):
        if key in expected:
            assert compose.conversation_ids == [expected[key]]
    if "convo_ids" in expected:
        assert compose.conversation_ids == expected["convo_ids"]
    if "community" in expected:
        assert f"r/{expected['community']}" in draft.context
    for tag in expected.get("hashtags", []):
        assert f"#{tag}" in draft.text


def check_harvest(harvest: Any, expected: dict[str, Any]) -> None:
    assert harvest is not None, "the adapter harvested nothing"
    posts = {post.id: post for post in harvest.posts}
    for want in expected.get("posts", []):
        assert want["id"] in posts, f"post {want['id']} not harvested"
        post = posts[want["id"]]
        for field in ("author", "text", "in_reply_to", "author_id"):
            if field in want:
                assert getattr(post, field) == want[field], field
    followers = {f.id: f for f in harvest.new_followers}
    for want in expected.get("new_followers", []):
        follower_id = want.get("user_id") or want.get("account_id") or want.get("did")
        handle = want.get("screen_name") or want.get("acct") or want.get("handle")
        if follower_id is None:
            matches = [f for f in harvest.new_followers if f.handle == handle]
            assert matches, f"follower {handle} not harvested"
            follower = matches[0]
        else:
            assert follower_id in followers, f"follower {follower_id} not harvested"
            follower = followers[follower_id]
        if handle is not None:
            assert follower.handle == handle
        if "time_ms" in want:
            assert follower.time == want["time_ms"] / 1000
        if "time" in want:
            assert follower.time == epoch_of(want["time"])
    for key in ("conversations", "convos"):
        for conversation_id, members in expected.get(key, {}).items():
            assert harvest.conversations.get(conversation_id) == members
    for conversation_id, senders in expected.get("conversation_senders", {}).items():
        assert harvest.conversation_senders.get(conversation_id) == senders
    if "empty_conversations" in expected:
        assert harvest.empty_conversations == expected["empty_conversations"]
    for field in ("own_id", "own_handle"):
        if field in expected:
            assert getattr(harvest, field) == expected[field], field


def epoch_of(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def fake_jwt(subject: str) -> str:
    """An access token shaped like Bluesky's (header.claims.signature); never verified."""
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256K'})}.{part({'sub': subject, 'scope': 'com.atproto.access'})}.sig"
