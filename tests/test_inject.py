"""Injection of the banner script into page responses: placement, CSP, bytes and headers."""

from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass, field

import pytest
from mitmproxy.test import tflow, tutils
from pullcheck.proxy.csp import parse_header
from pullcheck.proxy.flowwire import request_origin
from pullcheck.proxy.inject import inject_banner, insertion_point, meta_policies
from pullcheck.proxy.pages import PageTokens

PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>hi</p></body></html>"
TAG = re.compile(
    rb'<script src="/__pullcheck__/banner\.js\?v=\d+" data-pullcheck-token="([A-Za-z0-9_-]+)"'
    rb'(?: nonce="([^"]+)")? async data-pullcheck=""></script>'
)


def page_flow(
    body: bytes = PAGE,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = b"text/html; charset=utf-8",
):
    fields = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    fields += headers or []
    response = tutils.tresp(content=b"", headers=fields)
    response.raw_content = body
    flow = tflow.tflow(resp=response)
    flow.request.scheme, flow.request.host, flow.request.port = "https", "x.com", 443
    flow.request.method, flow.request.path = "GET", "/home"
    return flow


@dataclass
class InjectorState:
    """The one part of the proxy state the injector uses: the page tokens it issues."""

    pages: PageTokens = field(default_factory=PageTokens)


def state() -> InjectorState:
    return InjectorState()


def offset_of(body: bytes) -> int:
    """Where the banner tag goes in `body`, which the test expects to have a place for it."""
    point = insertion_point(body)
    assert point is not None
    return point.offset


def injected(flow) -> re.Match[bytes]:
    match = TAG.search(flow.response.raw_content)
    assert match is not None, flow.response.raw_content[:300]
    return match


def test_script_goes_right_before_head_close_with_a_token_bound_to_the_origin():
    flow, st = page_flow(), state()
    inject_banner(flow, st)
    body = flow.response.raw_content
    match = injected(flow)
    assert body[match.end() :].startswith(b"</head>")
    assert body.replace(match.group(0), b"") == PAGE
    token = match.group(1).decode()
    assert st.pages.valid(token, "https://x.com")
    assert not st.pages.valid(token, "https://evil.example")


def test_the_token_is_bound_to_the_origin_the_control_endpoints_check():
    """One origin string for both sides, IPv6 literals (bracketed) and ports included."""
    flow, st = page_flow(), state()
    flow.request.scheme, flow.request.host, flow.request.port = "http", "::1", 8123
    inject_banner(flow, st)
    token = injected(flow).group(1).decode()
    assert st.pages.valid(token, request_origin(flow.request))
    assert st.pages.valid(token, "http://[::1]:8123")


def test_the_token_is_not_in_the_script_url_that_csp_reports_would_send_to_the_site():
    flow, st = page_flow(), state()
    inject_banner(flow, st)
    assert flow.response is not None
    tag = re.search(rb'<script src="([^"]+)"', flow.response.raw_content or b"")
    assert tag is not None
    src = tag.group(1)
    token = injected(flow).group(1)
    assert token not in src
    assert b"t=" not in src


def test_each_page_gets_its_own_token():
    st = state()
    a, b = page_flow(), page_flow()
    inject_banner(a, st)
    inject_banner(b, st)
    assert injected(a).group(1) != injected(b).group(1)


def test_content_length_is_fixed():
    flow = page_flow()
    inject_banner(flow, state())
    assert flow.response.headers["content-length"] == str(len(flow.response.raw_content))


def test_uppercase_head_and_attributes_are_found():
    body = b"<HTML><HEAD lang=en><TITLE>x</TITLE></HEAD ><BODY>y</BODY></HTML>"
    flow = page_flow(body)
    inject_banner(flow, state())
    assert flow.response.raw_content.index(injected(flow).group(0)) == body.index(b"</HEAD >")


def test_without_head_close_goes_right_before_body():
    flow = page_flow(b"<html><head><title>x</title><body>text</body>")
    inject_banner(flow, state())
    assert flow.response.raw_content.startswith(b"<html><head><title>x</title><script")
    assert flow.response.raw_content.endswith(b"</script><body>text</body>")
    flow2 = page_flow(b"<p>before</p><body class='a'>text")
    inject_banner(flow2, state())
    assert flow2.response.raw_content.startswith(b"<p>before</p><script")


def test_a_page_with_neither_head_close_nor_body_is_left_alone():
    body = b"<html><head><title>x</title><p>no body tag</p></html>"
    flow = page_flow(body)
    inject_banner(flow, state())
    assert flow.response.raw_content == body


@pytest.mark.parametrize(
    "inside",
    [
        b"<script>document.write('</head><body>');</script>",
        b"<script type=module>const s = `</HEAD>`;</script>",
        b"<!-- an old </head> left in a comment -->",
        b"<template><p></head></p></template>",
        b"<style>/* </head> */ p { color: red }</style>",
        b"<title>the </head> tag</title>",
        b"<noscript></head></noscript>",
        b"<textarea></head></textarea>",
    ],
)
def test_a_head_close_inside_a_script_comment_or_raw_text_is_not_the_end_of_the_head(inside):
    body = (
        b"<!doctype html><html><head><meta charset=utf-8>"
        + inside
        + (b"<link rel=icon href=/i.png></head><body><p>hi</p></body></html>")
    )
    flow = page_flow(body)
    inject_banner(flow, state())
    new = flow.response.raw_content
    assert new.index(injected(flow).group(0)) == body.rindex(b"</head><body>")
    assert new.replace(injected(flow).group(0), b"") == body


def test_a_fragment_without_head_body_or_html_is_left_alone():
    flow = page_flow(b"<div>just a fragment</div>")
    inject_banner(flow, state())
    assert flow.response.raw_content == b"<div>just a fragment</div>"


def test_non_html_is_untouched():
    for content_type in (b"application/json", b"text/plain", b"text/vnd.reddit.partial+html"):
        flow = page_flow(PAGE, content_type=content_type)
        inject_banner(flow, state())
        assert flow.response.raw_content == PAGE


def test_error_pages_and_subresource_fetches_are_untouched():
    flow = page_flow()
    flow.response.status_code = 404
    inject_banner(flow, state())
    assert flow.response.raw_content == PAGE
    fetched = page_flow()
    fetched.request.headers["sec-fetch-dest"] = "empty"
    inject_banner(fetched, state())
    assert fetched.response.raw_content == PAGE


def test_charset_bytes_are_preserved_latin1_and_utf8():
    latin1 = "<html><head><meta charset=iso-8859-1></head><body>caf\u00e9</body></html>"
    utf8 = "<html><head><meta charset=utf-8></head><body>caf\u00e9 \u2713 \U0001f600</body></html>"
    for text, encoding in ((latin1, "latin-1"), (utf8, "utf-8")):
        original = text.encode(encoding)
        flow = page_flow(original, content_type=b"text/html")
        inject_banner(flow, state())
        body = flow.response.raw_content
        assert body.replace(injected(flow).group(0), b"") == original
        assert "caf\u00e9".encode(encoding) in body


def test_compressed_page_is_decoded_once_and_sent_plain():
    flow = page_flow(gzip.compress(PAGE), headers=[(b"content-encoding", b"gzip")])
    inject_banner(flow, state())
    assert "content-encoding" not in flow.response.headers
    assert flow.response.raw_content.startswith(b"<!doctype html>")
    injected(flow)


def test_page_nonce_is_reused_and_the_header_left_as_sent():
    csp = b"script-src 'nonce-PaGe123' 'strict-dynamic'; object-src 'none'"
    flow = page_flow(headers=[(b"content-security-policy", csp)])
    inject_banner(flow, state())
    assert injected(flow).group(2) == b"PaGe123"
    assert flow.response.headers.get_all("content-security-policy") == [csp.decode()]


def test_several_csp_headers_only_the_blocking_one_changes():
    first = "default-src 'self'"
    second = "script-src https://cdn.example"
    flow = page_flow(
        headers=[
            (b"content-security-policy", first.encode()),
            (b"content-security-policy", second.encode()),
        ]
    )
    inject_banner(flow, state())
    nonce = injected(flow).group(2).decode()
    assert flow.response.headers.get_all("content-security-policy") == [
        first,
        f"{second} 'nonce-{nonce}'",
    ]


def test_fresh_nonce_differs_per_response():
    nonces = set()
    for _ in range(3):
        flow = page_flow(headers=[(b"content-security-policy", b"script-src 'strict-dynamic'")])
        inject_banner(flow, state())
        nonces.add(injected(flow).group(2))
    assert len(nonces) == 3


def test_report_only_policy_is_untouched():
    report_only = b"script-src 'none'; report-uri /csp"
    flow = page_flow(headers=[(b"content-security-policy-report-only", report_only)])
    inject_banner(flow, state())
    injected(flow)
    assert flow.response.headers["content-security-policy-report-only"] == report_only.decode()
    assert "content-security-policy" not in flow.response.headers


def test_unsafe_inline_policy_keeps_working_for_inline_scripts():
    csp = "script-src 'self' https://cdn.example 'unsafe-inline'; connect-src https://api.x.com"
    flow = page_flow(headers=[(b"content-security-policy", csp.encode())])
    inject_banner(flow, state())
    assert injected(flow).group(2) is None
    new = flow.response.headers["content-security-policy"]
    assert "nonce" not in new
    (policy,) = parse_header(new)
    assert "'unsafe-inline'" in policy.directives["script-src"].sources
    assert "https://x.com/__pullcheck__/" in policy.directives["connect-src"].sources


def test_script_src_none_leaves_the_page_alone():
    csp = b"default-src 'none'; style-src 'self'"
    flow = page_flow(headers=[(b"content-security-policy", csp)])
    inject_banner(flow, state())
    assert flow.response.raw_content == PAGE
    assert flow.response.headers["content-security-policy"] == csp.decode()


def test_meta_csp_that_allows_the_script_is_respected_and_the_tag_goes_after_it():
    body = (
        b'<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        b"content=\"default-src 'self'\"><title>x</title></head><body></body></html>"
    )
    flow = page_flow(body)
    inject_banner(flow, state())
    new = flow.response.raw_content
    assert new.index(injected(flow).group(0)) == body.index(b"</head>")
    assert b"default-src 'self'" in new  # the meta policy is never edited


def test_meta_csp_with_script_src_none_leaves_the_page_alone(caplog):
    body = (
        b'<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        b"content=\"script-src 'none'\"><title>x</title></head><body></body></html>"
    )
    flow = page_flow(body)
    flow.request.host = "meta-none.example"
    with caplog.at_level(logging.INFO, logger="pullcheck.inject"):
        inject_banner(flow, state())
        inject_banner(page_flow(body), state())
    assert flow.response.raw_content == body
    assert "cache-control" not in flow.response.headers
    assert caplog.text.count("meta-none.example") == 1  # logged once
    assert "script-src" in caplog.text


def test_meta_csp_nonce_is_carried_when_only_the_meta_policy_asks_for_one():
    body = (
        b"<html><head><meta http-equiv=Content-Security-Policy "
        b"content=\"script-src 'nonce-abc123' 'strict-dynamic'\"></head><body></body></html>"
    )
    flow = page_flow(body)
    inject_banner(flow, state())
    assert injected(flow).group(2) == b"abc123"


def test_a_meta_policy_inside_a_comment_or_script_is_not_a_policy():
    body = (
        b"<html><head><!-- <meta http-equiv=Content-Security-Policy "
        b"content=\"script-src 'none'\"> -->"
        b"<script>var s = '<meta http-equiv=content-security-policy content=\"default-src none\">'"
        b"</script></head><body></body></html>"
    )
    flow = page_flow(body)
    inject_banner(flow, state())
    assert injected(flow)


def test_meta_csp_that_blocks_the_banner_fetches_skips_the_page():
    body = (
        b"<html><head><meta http-equiv=content-security-policy "
        b'content="connect-src https://api.x.com"></head><body></body></html>'
    )
    flow = page_flow(body)
    inject_banner(flow, state())
    assert flow.response.raw_content == body


def test_meta_policy_parsing_handles_quotes_entities_and_gt_in_values():
    head = (
        b"<meta name=x content='a>b'><META HTTP-EQUIV='content-security-policy' "
        b'CONTENT="default-src &#39;self&#39;; img-src *">'
    )
    (meta,) = meta_policies(head)
    assert meta.content == "default-src 'self'; img-src *"
    assert meta.start == head.index(b"<META")


def test_already_injected_page_is_not_injected_twice():
    flow, st = page_flow(), state()
    inject_banner(flow, st)
    once = flow.response.raw_content
    inject_banner(flow, st)
    assert flow.response.raw_content == once


def test_insertion_point_on_a_large_page_is_near_the_top():
    big = b"<html><head><title>x</title></head><body>" + b"<p>filler</p>" * 80_000 + b"</body>"
    point = insertion_point(big)
    assert point is not None
    assert point.offset == big.index(b"</head>")


def test_a_head_bigger_than_the_scan_window_is_still_found():
    head = b"<html><head><script>" + b"var x = 1;" * 40_000 + b"</script>"
    body = head + b"</head><body>text</body></html>"
    point = insertion_point(body)
    assert point is not None
    assert point.offset == body.index(b"</head>")


def test_mixed_case_head_close_and_a_body_without_head_close():
    body = b"<html><Head><title>x</title></Head><body>a</body>"
    assert offset_of(body) == body.index(b"</Head>")
    late = b"<html><head><title>x</title><body>" + b"<p>y</p>" * 40_000 + b"</head>"
    assert offset_of(late) == late.index(b"<body>")


def test_an_injected_page_is_not_cached_so_its_token_is_never_stale():
    flow = page_flow(
        headers=[
            (b"cache-control", b"public, max-age=600"),
            (b"etag", b'"abc"'),
            (b"last-modified", b"Mon, 04 May 2026 09:12:44 GMT"),
        ]
    )
    inject_banner(flow, state())
    injected(flow)
    assert flow.response.headers["cache-control"] == "no-store"
    assert "etag" not in flow.response.headers
    assert "last-modified" not in flow.response.headers


def test_a_page_left_alone_keeps_its_cache_headers():
    flow = page_flow(b"<div>fragment</div>", headers=[(b"etag", b'"abc"')])
    inject_banner(flow, state())
    assert flow.response.headers["etag"] == '"abc"'


def test_the_banner_version_follows_the_banner_files_bytes():
    # The files are cached for a year under ?v=: a changed banner must get a new URL.
    import hashlib
    from importlib import resources

    from pullcheck.proxy import inject

    digest = hashlib.sha256()
    for name in ("banner.js", "banner.css"):
        digest.update(resources.files("pullcheck.banner").joinpath(name).read_bytes())
    assert str(int(digest.hexdigest()[:12], 16)) == inject.BANNER_VERSION
