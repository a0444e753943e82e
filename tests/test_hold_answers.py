"""Where a held request came from (provenance) and what a request that is not sent is answered
(the site's own failure response, saying why). Plain modules: no mitmproxy."""

from __future__ import annotations

import json

import pytest
from pullcheck.config import Config
from pullcheck.proxy import refusal
from pullcheck.proxy.provenance import origin_parts, provenance
from pullcheck.proxy.siteroute import SiteRoute
from pullcheck.sites import mastodon, reddit, x

VERDICT = {
    "level": "warning",
    "findings": [
        {
            "code": "PP201",
            "name": "unsolicited-pitch-reply",
            "severity": "warning",
            "message": 'This reply seems to "pitch" your offer.',
        },
        {"code": "PP901", "name": "a-note", "severity": "info", "message": "Just a note."},
    ],
}


@pytest.fixture(scope="module")
def route() -> SiteRoute:
    config = Config.model_validate(
        {
            "sites": {
                "x": {"hosts": ["x.com", "127.0.0.1:8123"]},
                "mastodon": {"hosts": ["mastodon.social"]},
            }
        }
    )
    return SiteRoute(config.sites)


def came(route: SiteRoute, sent_from: str | None, site: str = "x"):
    return provenance(sent_from, site, "https://x.com", route, "x.com", 443)


def test_a_request_from_the_sites_own_page_is_its_own(route):
    assert came(route, "https://x.com") == ("https://x.com", True, "https://x.com")
    assert came(route, "http://127.0.0.1:8123").own is True


@pytest.mark.parametrize("sent_from", [None, "", "null", "NULL"])
def test_a_request_with_no_or_an_opaque_origin_is_never_the_pages_own(route, sent_from):
    result = came(route, sent_from)
    assert (result.own, result.channel) == (False, "https://x.com")


@pytest.mark.parametrize(
    "sent_from",
    [
        "https://evil.example",
        "https://mastodon.social",  # configured, but another site's page
        "https://x.com.evil.example",
        "http://127.0.0.1:9999",  # the same host on another port is another origin
        "https://x.com/path",  # not an origin at all
        "javascript:alert(1)",
    ],
)
def test_another_origin_is_never_the_pages_own(route, sent_from):
    result = came(route, sent_from)
    assert result.own is False
    assert result.sent_from == sent_from
    assert result.channel == "https://x.com"


def test_a_foreign_request_to_a_host_that_is_not_a_configured_origin_has_no_page(route):
    result = provenance(
        "https://evil.example",
        "x",
        "https://api.elsewhere.example",
        route,
        "api.elsewhere.example",
        443,
    )
    assert (result.own, result.channel) == (False, "")


def test_origin_parts_read_a_serialized_origin_with_default_ports():
    assert origin_parts("https://X.com") == ("https", "x.com", 443)
    assert origin_parts("http://127.0.0.1:8123") == ("http", "127.0.0.1", 8123)
    assert origin_parts("http://[::1]:8080") == ("http", "::1", 8080)
    assert origin_parts("ftp://x.com") is None
    assert origin_parts("https://x.com:99999") is None


# -- the answer to a request that is not sent ------------------------------------------------


def test_the_reason_names_each_serious_finding_and_what_happened():
    text = refusal.reason(VERDICT, "no-page", origin="https://x.com")
    assert text == (
        'Not sent: held by pullcheck: PP201 unsolicited-pitch-reply: This reply seems to "pitch"'
        " your offer. No pullcheck page of https://x.com is open to decide it; edit the post and"
        " send again."
    )
    assert refusal.reason(VERDICT, "timeout", timeout=120.0).endswith(
        "No decision within 120 s; your draft is unchanged."
    )


def test_a_json_failure_body_carries_the_reason_in_the_sites_own_message_field():
    text = refusal.reason(VERDICT, "edit") + " \u2014 caf\u00e9"
    failure = x.FAILURE
    answer = refusal.with_reason(failure.status, failure.headers, failure.body, text)
    assert answer.status == failure.status
    assert json.loads(answer.body)["errors"][0]["message"] == text
    assert answer.headers["content-type"] == failure.headers["content-type"]
    # The header is one ASCII line, whatever the text holds.
    assert answer.headers["x-pullcheck-reason"].isascii()
    assert answer.headers["x-pullcheck-reason"].startswith("Not sent: held by pullcheck: PP201")
    masto = mastodon.FAILURE
    assert (
        json.loads(refusal.with_reason(masto.status, masto.headers, masto.body, text).body)["error"]
        == text
    )


def test_a_plain_text_failure_body_carries_the_reason_as_text():
    failure = reddit.FAILURE_WEB
    text = refusal.reason(VERDICT, "gone")
    answer = refusal.with_reason(failure.status, failure.headers, failure.body, text)
    assert answer.body == text.encode()


def test_reddits_api_answer_keeps_its_own_error_shape():
    failure = reddit.FAILURE_API
    text = refusal.reason(VERDICT, "edit")
    answer = refusal.with_reason(failure.status, failure.headers, failure.body, text)
    assert json.loads(answer.body)["json"]["errors"][0] == ["PULLCHECK_HELD", text, "text"]


def test_a_body_without_the_held_message_is_kept_and_the_header_still_says_why():
    answer = refusal.with_reason(503, {}, b"<html>busy</html>", "Not sent: held by pullcheck.")
    assert answer.body == b"<html>busy</html>"
    assert answer.headers["x-pullcheck-reason"] == "Not sent: held by pullcheck."
