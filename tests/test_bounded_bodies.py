"""Bodies the proxy looks into besides compose requests (control endpoint requests, a compose
request's answer) are decoded within their own limits: a few KB of brotli never becomes the
whole inflated body in memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import brotli
from mitmproxy.test import tflow, tutils
from pullcheck.proxy.accepted import site_accepted
from pullcheck.proxy.endpoint_http import Body, parse_body

# JSON whitespace: a well-formed document, 64 MiB once inflated, a few KB on the wire.
PAD = b" " * (64 * 1024 * 1024)


class TextBody(Body):
    text: str = ""


def _peak(work):
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_control_request_that_inflates_past_the_limit_is_refused_without_inflating_it():
    body = brotli.compress(b'{"text": "hi"' + PAD + b"}", quality=5)
    request = tutils.treq(method=b"POST", content=b"")
    request.raw_content = body
    request.headers["content-encoding"] = "br"
    flow = tflow.tflow(req=request)

    parsed, peak = _peak(lambda: parse_body(flow, TextBody))

    assert parsed is None
    assert peak < 16 * 1024 * 1024


def test_a_compressed_control_request_is_read():
    request = tutils.treq(method=b"POST", content=b"")
    request.raw_content = gzip.compress(json.dumps({"text": "hi"}).encode())
    request.headers["content-encoding"] = "gzip"

    parsed = parse_body(tflow.tflow(req=request), TextBody)

    assert parsed is not None
    assert parsed.text == "hi"


def test_a_compressed_graphql_refusal_is_still_seen():
    refusal = json.dumps({"errors": [{"code": 187, "message": "Status is a duplicate."}]})
    response = tutils.tresp(status_code=200, content=b"")
    response.raw_content = gzip.compress(refusal.encode())
    response.headers["content-encoding"] = "gzip"
    response.headers["content-type"] = "application/json"

    assert not site_accepted(response)


def test_a_compose_answer_that_inflates_past_the_limit_counts_as_accepted_without_inflating_it():
    response = tutils.tresp(status_code=200, content=b"")
    response.raw_content = brotli.compress(b'{"errors": [1]' + PAD + b"}", quality=5)
    response.headers["content-encoding"] = "br"
    response.headers["content-type"] = "application/json"

    accepted, peak = _peak(lambda: site_accepted(response))

    assert accepted
    assert peak < 16 * 1024 * 1024
