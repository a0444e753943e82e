"""Links and mentions found in raw text: the same links wherever a chunk stands, spans exact."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.links import MENTION, find_links, find_mentions, is_promo


def spans(text: str) -> list[tuple[str, str]]:
    """Each link's url and the text its span covers."""
    return [(link.url, text[link.start : link.end]) for link in find_links(text)]


def test_a_repeated_link_is_found_at_each_of_its_places() -> None:
    text = "see acme.example/a. Then see acme.example/a, and\tacme.example/a"
    links = find_links(text)
    assert [link.start for link in links] == [4, 29, 49]
    assert all(text[link.start : link.end] == "acme.example/a" for link in links)


@pytest.mark.parametrize(
    "blank", [" ", "\n", "\t", "\u3000", "\u00a0", "\x1c"], ids=lambda blank: repr(blank)
)
def test_a_link_starts_after_any_kind_of_blank(blank: str) -> None:
    text = f"intro{blank}https://acme.example/x{blank}outro"
    assert spans(text) == [("https://acme.example/x", "https://acme.example/x")]


@pytest.mark.parametrize(
    ("text", "url", "start"),
    [
        ("see \u200bacme.example/x", "acme.example/x", 5),  # zero-width space: no blank
        ("see x\u00adacme.example/x", "acme.example/x", 6),  # soft hyphen: no blank
        ("a\tb c\u0085www.acme.example", "www.acme.example", 6),  # a blank, not a space
    ],
)
def test_a_link_after_an_unprintable_character_keeps_its_span(
    text: str, url: str, start: int
) -> None:
    assert [(link.url, link.start, link.end) for link in find_links(text)] == [
        (url, start, start + len(url))
    ]


def test_a_link_at_the_very_start_of_the_text() -> None:
    assert spans("www.acme.example is ours") == [("www.acme.example", "www.acme.example")]


@pytest.mark.parametrize(
    "text",
    [
        "The end. The start.",  # dots, but none before a letter
        "pi is 3.14159 and e is 2.718",  # a dot before a digit, in a number
        "read notes.txt and main.py",  # a dot before a word that is no top-level domain
        "1.2.3.4/status",  # digits only: no letter in the host
    ],
)
def test_dots_that_make_no_link(text: str) -> None:
    assert find_links(text) == []


def test_two_links_in_one_chunk_both_keep_their_spans() -> None:
    assert spans("x acme.example,widgets.example y") == [
        ("acme.example", "acme.example"),
        ("widgets.example", "widgets.example"),
    ]


def test_a_host_in_other_letters_is_a_link_and_one_of_other_digits_is_not() -> None:
    assert [link.domain for link in find_links("see https://bücher.example/a")] == [
        "bücher.example"
    ]
    assert find_links("see https://١٢٣.٤٥/a") == []


def test_trailing_punctuation_is_left_out_of_the_span() -> None:
    assert spans("(see acme.example/a).") == [("acme.example/a", "acme.example/a")]


def test_mentions_keep_their_spans_and_lower_case_handles() -> None:
    text = "hi @Ann, and @bob@Social.example; not me@acme.example"
    assert [(m.handle, text[m.start : m.end]) for m in find_mentions(text)] == [
        ("ann", "@Ann"),
        ("bob@social.example", "@bob@Social.example"),
    ]


def test_at_signs_that_are_no_mention() -> None:
    assert find_mentions("mail me@acme.example, meet @ 5, @@x, a@b") == []


@pytest.mark.parametrize(
    ("url", "promo"),
    [
        ("https://shop.example/?ref=123", True),  # a referral parameter
        ("https://shop.example/Refer/friend", True),  # a referral path segment, any case
        ("https://shop.example/referee/x", False),  # a longer word is no referral segment
        ("https://docs.example//guide", False),  # an empty segment is none
        ("https://www.amazon.com/dp/B00X", True),  # a shop listing
        ("https://facebook.com/someone", True),  # a profile
        ("https://facebook.com/pages/acme", True),
        ("https://twitter.com/someone/status/1", False),  # a post, not a profile
        ("https://youtube.com/watch", False),
        ("https://gofundme.com/f/help", True),  # a fundraiser's domain
        ("https://docs.example/guide", False),
    ],
)
def test_links_that_promote_their_writer(url: str, promo: bool) -> None:
    (link,) = find_links(url)
    assert is_promo(link) is promo


# Text with at-signs in every kind of place: mentions, e-mail addresses, fediverse handles,
# doubled, at the ends.
AT_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["@", "@ann", "@Bob_1", "me@acme.example", "@u@host.example", ".", "/"]),
        st.sampled_from([" ", "\n", "x", "_", "-", "é", "@@", "@."]),
        st.text(max_size=3),
    ),
    max_size=14,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(AT_TEXT)
def test_mentions_are_the_pattern_matches_with_their_spans(text: str) -> None:
    expected = [
        (match.group(1).lower(), match.start(), match.end()) for match in MENTION.finditer(text)
    ]
    assert [tuple(mention) for mention in find_mentions(text)] == expected


def test_every_blank_but_the_space_is_unprintable() -> None:
    # find_links places a chunk's start after the nearest space when nothing between them is
    # unprintable: that needs every other blank to be unprintable.
    printable_blanks = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).isspace() and chr(code).isprintable()
    ]
    assert printable_blanks == [" "]
