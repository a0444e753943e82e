"""Adapters never raise: mutated fixture bodies, random bytes, wrong content types, truncated and
non-UTF-8 bodies, multipart, random JSON in every field, random WebSocket frames.

Compressed bodies (gzip, br, zstd) never reach the adapters: mitmproxy decodes them and the
proxy's flow translation hands over plain bytes, so there is nothing to fuzz here for them.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pullcheck.memory import Memory
from pullcheck.sites import ADAPTERS_BY_NAME
from pullcheck.sites.wire import Compose, Harvest, WireRequest, WireResponse
from site_fixtures import SITES, fixture_names, load, request_of, response_of

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COMPOSE = [(site, name) for site in SITES for name in fixture_names(site, "outgoing_request")]
READ = [(site, name) for site in SITES for name in fixture_names(site, "incoming_response")]

CONTENT_TYPES = st.sampled_from(
    [
        "",
        "application/json",
        "application/json; charset=UTF-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=X",
        "text/html",
        "application/octet-stream",
        "application/vnd.linkedin.normalized+json+2.1",
    ]
)

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["{", "[1,", '{"a":', "[]", "{}", "t3_x", "at://x", "urn:li:activity:1"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _with_body(request: WireRequest, body: bytes, content_type: str | None = None) -> WireRequest:
    headers = dict(request.headers)
    if content_type is not None:
        headers["content-type"] = content_type
    return dataclasses.replace(request, headers=headers, body=body)


def _response_with_body(
    response: WireResponse, body: bytes, content_type: str | None = None
) -> WireResponse:
    headers = dict(response.headers)
    if content_type is not None:
        headers["content-type"] = content_type
    return WireResponse(response.request, response.status, headers, body)


def _mutate(body: bytes, data: st.DataObject) -> bytes:
    operation = data.draw(st.sampled_from(["truncate", "flip", "insert", "latin1", "splice"]))
    if not body:
        return data.draw(st.binary(max_size=64))
    if operation == "truncate":
        return body[: data.draw(st.integers(0, len(body)))]
    position = data.draw(st.integers(0, len(body) - 1))
    if operation == "flip":
        return (
            body[:position]
            + bytes([body[position] ^ data.draw(st.integers(1, 255))])
            + body[position + 1 :]
        )
    if operation == "insert":
        return body[:position] + data.draw(st.binary(min_size=1, max_size=16)) + body[position:]
    if operation == "latin1":
        return body.decode("utf-8", errors="replace").encode("latin-1", errors="replace")
    end = data.draw(st.integers(position, len(body)))
    return body[:position] + body[end:] + body[position:end]


def _replace_random_values(document: Any, data: st.DataObject, depth: int = 0) -> Any:
    if depth > 12:
        return document
    if isinstance(document, dict):
        out = {}
        for key, value in document.items():
            if data.draw(st.integers(0, 5)) == 0:
                out[key] = data.draw(JSON_VALUES)
            else:
                out[key] = _replace_random_values(value, data, depth + 1)
        return out
    if isinstance(document, list):
        return [_replace_random_values(v, data, depth + 1) for v in document]
    if isinstance(document, str) and document[:1] in "{[":
        inner = _json_or_none(document)
        if inner is not None:
            return json.dumps(_replace_random_values(inner, data, depth + 1))
    return document


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _check_compose(site: str, request: WireRequest) -> None:
    adapter = ADAPTERS_BY_NAME[site]
    compose = adapter.compose(request)
    assert compose is None or isinstance(compose, Compose)
    if compose is not None:
        # What memory does with it must not raise either.
        Memory().enrich(site, compose)


def _check_harvest(site: str, response: WireResponse) -> None:
    harvest = ADAPTERS_BY_NAME[site].harvest(response)
    assert harvest is None or isinstance(harvest, Harvest)
    if harvest is not None:
        Memory().remember(site, harvest)


@pytest.mark.parametrize(("site", "name"), COMPOSE)
@FUZZ
@given(data=st.data())
def test_compose_survives_mutated_bytes(site: str, name: str, data: st.DataObject) -> None:
    request = request_of(load(name))
    content_type = data.draw(st.none() | CONTENT_TYPES)
    _check_compose(site, _with_body(request, _mutate(request.body, data), content_type))


@pytest.mark.parametrize(("site", "name"), COMPOSE)
@FUZZ
@given(data=st.data())
def test_compose_survives_random_json_in_any_field(
    site: str, name: str, data: st.DataObject
) -> None:
    request = request_of(load(name))
    document = _json_or_none(request.body.decode())
    if document is None:
        # A form: fuzz the JSON inside its fields, and the field values themselves.
        from urllib.parse import parse_qsl, urlencode

        fields = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        fuzzed = {}
        for key, value in fields.items():
            inner = _json_or_none(value)
            if inner is not None:
                fuzzed[key] = json.dumps(_replace_random_values(inner, data))
            else:
                fuzzed[key] = data.draw(st.text(max_size=30) | st.just(value))
        body = urlencode(fuzzed).encode()
    else:
        body = json.dumps(_replace_random_values(document, data)).encode()
    _check_compose(site, _with_body(request, body))


@pytest.mark.parametrize(("site", "name"), READ)
@FUZZ
@given(data=st.data())
def test_harvest_survives_mutated_bytes(site: str, name: str, data: st.DataObject) -> None:
    response = response_of(load(name))
    content_type = data.draw(st.none() | CONTENT_TYPES)
    _check_harvest(site, _response_with_body(response, _mutate(response.body, data), content_type))


@pytest.mark.parametrize(("site", "name"), READ)
@FUZZ
@given(data=st.data())
def test_harvest_survives_random_json_in_any_field(
    site: str, name: str, data: st.DataObject
) -> None:
    response = response_of(load(name))
    document = _json_or_none(response.body.decode())
    if document is None:
        return  # HTML: covered by the byte mutations
    body = json.dumps(_replace_random_values(document, data)).encode()
    _check_harvest(site, _response_with_body(response, body))


@pytest.mark.parametrize("site", SITES)
@FUZZ
@given(
    body=st.binary(max_size=512),
    content_type=CONTENT_TYPES,
    method=st.sampled_from(["POST", "PUT", "GET"]),
)
def test_random_bytes_on_every_compose_path(
    site: str, body: bytes, content_type: str, method: str
) -> None:
    for _, name in [c for c in COMPOSE if c[0] == site]:
        request = request_of(load(name))
        request = WireRequest(
            method,
            request.scheme,
            request.host,
            request.port,
            request.path,
            request.query,
            {"content-type": content_type},
            body,
        )
        _check_compose(site, request)


@FUZZ
@given(
    parts=st.lists(st.tuples(st.text(max_size=12), st.binary(max_size=40)), max_size=5),
    boundary=st.text(alphabet="abcXYZ019-", min_size=1, max_size=12),
    cut=st.integers(0, 400),
)
def test_multipart_status_bodies(parts: list[tuple[str, bytes]], boundary: str, cut: int) -> None:
    body = (
        b"".join(
            b"--"
            + boundary.encode()
            + b'\r\nContent-Disposition: form-data; name="'
            + name.encode("utf-8", "replace")
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
            for name, value in [("status", b"hi"), *parts]
        )
        + b"--"
        + boundary.encode()
        + b"--\r\n"
    )
    request = WireRequest(
        "POST",
        "https",
        "mastodon.social",
        443,
        "/api/v1/statuses",
        {},
        {"content-type": f"multipart/form-data; boundary={boundary}"},
        body[: max(cut, 1)] if cut < len(body) else body,
    )
    _check_compose("mastodon", request)


@FUZZ
@given(
    frame=st.text(max_size=300)
    | JSON_VALUES.map(json.dumps)
    | st.builds(
        lambda event, payload: json.dumps({"event": event, "payload": payload}),
        st.sampled_from(["update", "notification", "conversation", "status.update"]),
        JSON_VALUES.map(json.dumps) | st.text(max_size=40),
    )
)
def test_websocket_frames(frame: str) -> None:
    for adapter in ADAPTERS_BY_NAME.values():
        harvest = adapter.harvest_websocket(frame)
        assert harvest is None or isinstance(harvest, Harvest)
