"""The lenient body decoder and the HTML-to-text reader."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.sites.bodies import NestedDict, decode_body, form_fields, text_value
from pullcheck.sites.markup import bs4_text, html_to_text


def test_json_by_content_type() -> None:
    assert decode_body(b'{"a": [1, "x"]}', "application/json; charset=utf-8") == {"a": [1, "x"]}


def test_json_is_sniffed_without_a_content_type() -> None:
    assert decode_body(b' {"a": 1}', "") == {"a": 1}
    assert decode_body(b'{"a": 1}', "text/plain") == {"a": 1}


def test_form_with_array_and_nested_syntax() -> None:
    body = b"media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b&poll[expires_in]=60"
    assert decode_body(body, "application/x-www-form-urlencoded") == {
        "media_ids": ["1", "2"],
        "poll": {"options": ["a", "b"], "expires_in": "60"},
    }


def test_form_list_of_objects() -> None:
    assert form_fields("a[][x]=1&a[][y]=2&a[][x]=3") == {"a": [{"x": "1", "y": "2"}, {"x": "3"}]}


def test_json_nested_in_a_form_field_is_decoded_and_keeps_its_source() -> None:
    content = json.dumps({"document": [{"e": "par"}]})
    decoded = decode_body(
        urlencode({"content": content, "mode": "richText"}).encode(),
        "application/x-www-form-urlencoded",
    )
    assert decoded["content"] == {"document": [{"e": "par"}]}
    assert isinstance(decoded["content"], NestedDict)
    assert text_value(decoded["content"]) == content


def test_json_string_inside_json_is_decoded_recursively() -> None:
    inner = json.dumps({"b": json.dumps([1, 2])})
    decoded = decode_body(json.dumps({"a": inner}).encode(), "application/json")
    assert decoded == {"a": {"b": [1, 2]}}


def test_text_that_only_looks_like_json_stays_text() -> None:
    decoded = decode_body(
        json.dumps({"t": "[Update] we moved", "u": "{oops"}).encode(), "application/json"
    )
    assert decoded == {"t": "[Update] we moved", "u": "{oops"}


def test_signed_body() -> None:
    payload = json.dumps({"caption": "hi there", "text_post_app_info": '{"reply_id": "5"}'})
    body = f"signed_body=SIGNATURE.{quote(payload)}&ig_sig_key_version=4".encode()
    decoded = decode_body(body, "application/x-www-form-urlencoded")
    assert decoded["caption"] == "hi there"
    assert decoded["text_post_app_info"] == {"reply_id": "5"}
    assert decoded["ig_sig_key_version"] == "4"


def test_multipart_fields_and_files() -> None:
    body = (
        b'--Bound\r\nContent-Disposition: form-data; name="status"\r\n\r\nline 1\r\nline 2\r\n'
        b'--Bound\r\nContent-Disposition: form-data; name="media_ids[]"\r\n\r\n7\r\n'
        b'--Bound\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--Bound--\r\n"
    )
    assert decode_body(body, 'multipart/form-data; boundary="Bound"') == {
        "status": "line 1\r\nline 2",
        "media_ids": ["7"],
    }


def test_bad_input_gives_empty_or_partial_results() -> None:
    assert decode_body(b'{"a": ', "application/json") == {}
    assert decode_body(b"\xff\xfe\x00garbage", "application/json") == {}
    assert decode_body(b"", "application/json") == {}
    assert decode_body(b"--x\r\nno headers", "multipart/form-data") == {}
    assert decode_body(b"[" * 100_000, "application/json") == {}
    assert decode_body(b"status=caf\xe9", "application/x-www-form-urlencoded") == {
        "status": "caf\ufffd"
    }


def test_deeply_nested_json_strings_stop_at_the_depth_limit() -> None:
    # Every level doubles the escaping, so 18 levels is already a quarter-megabyte body.
    value: object = "x"
    for _ in range(18):
        value = json.dumps({"k": value})
    decoded = decode_body(str(value).encode(), "application/json")
    depth = 0
    while isinstance(decoded, dict):
        decoded = decoded["k"]
        depth += 1
    assert 1 < depth < 18  # decoded down to the limit, the rest left as a string
    assert isinstance(decoded, str)


def test_text_value_of_non_text() -> None:
    assert text_value(None) is None
    assert text_value(True) is None
    assert text_value(12) == "12"
    assert text_value({"a": 1}) is None


def test_html_paragraphs_breaks_and_entities() -> None:
    fragment = "<p>One &amp; two<br>three</p><p>Four <a href='/tags/x'>#<span>Tag</span></a></p>"
    assert html_to_text(fragment) == "One & two\nthree\n\nFour #Tag"


def test_html_mastodon_link_spans_join_without_spaces() -> None:
    fragment = (
        '<p><a href="https://shop.example/deal"><span class="invisible">https://</span>'
        '<span class="">shop.example/deal</span><span class="invisible"></span></a></p>'
    )
    assert html_to_text(fragment) == "https://shop.example/deal"


def test_html_scripts_are_not_text_and_plain_text_passes() -> None:
    assert html_to_text("<p>hi</p><script>alert(1)</script>") == "hi"
    assert html_to_text("no markup &lt;here&gt;") == "no markup <here>"
    assert html_to_text("") == ""
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"


_MARKUP_TOKENS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<P>",
        "</P>",
        "<br>",
        "<br />",
        "<BR/>",
        "</a>",
        "</span>",
        "<span>",
        '<a href="https://a.example/@b" class="u-url mention">',
        '<span class="invisible">',
        '<a title="a>b">',
        "<!-- c -->",
        "<b>",
        " ",
        "  ",
        "\n",
        "\t",
        "word",
        "@jordan",
        "#Tag",
        "&amp;",
        "&lt;b&gt;",
        "&#39;",
        "&nbsp;",
        "&amp",
        "x.example/y",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_MARKUP_TOKENS, max_size=14))
def test_fast_path_reads_fragments_exactly_like_beautifulsoup(tokens: list[str]) -> None:
    fragment = "".join(tokens)
    assert html_to_text(fragment) == bs4_text(fragment)


def test_huge_numbers_are_kept_as_their_digits_not_converted():
    # Converting a 4,000-digit number costs quadratic time; a thousand of them took 0.3 s.
    body = ('{"status": "hi", "n": [' + ",".join(["9" * 4000] * 3) + '], "id": 12}').encode()
    decoded = decode_body(body, "application/json")
    assert decoded["status"] == "hi"
    assert decoded["id"] == 12
    assert decoded["n"] == ["9" * 4000] * 3
