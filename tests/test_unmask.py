"""Disguised links are found, and their spans point into the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.features import extract
from pullcheck.rulebook import builtin_pack
from pullcheck.unmask import DISGUISES, _has, may_be_disguised, unmask

BOOK = builtin_pack().phrasebook


@pytest.mark.parametrize(
    ("text", "url", "shown"),
    [
        ("visit mysite*com now", "mysite.com", "mysite*com"),
        ("the best deals com", "deals.com", "deals com"),
        ("go to shop dot net today", "shop.net", "shop dot net"),
        ("shop [dot] net", "shop.net", "shop [dot] net"),
        ("bit.ly\\aB3 lol", "bit.ly/aB3", "bit.ly\\aB3"),
        ("see tinyurl . com / xyz", "tinyurl.com/xyz", "tinyurl . com / xyz"),
        ("ｍｙｓｉｔｅ．ｃｏｍ", "mysite.com", "ｍｙｓｉｔｅ．ｃｏｍ"),
    ],
)
def test_a_disguised_link_is_a_link_spanning_its_original_words(
    text: str, url: str, shown: str
) -> None:
    links = extract(text, BOOK).links
    assert [link.url for link in links] == [url]
    assert text[links[0].start : links[0].end] == shown


@pytest.mark.parametrize(
    "text",
    [
        "Plain text. Nothing to undo here.",
        "trabalho com clínicas em Lisboa",
        "connect the dots, then decide",
        "5 * 3 = 15",
    ],
)
def test_text_without_a_disguise_is_left_alone(text: str) -> None:
    assert not extract(text, BOOK).links


def test_plain_ascii_text_is_not_rewritten() -> None:
    assert unmask("Lovely photo, where was it taken?") is None


def test_phrases_in_full_width_letters_are_found_at_their_place() -> None:
    text = "ok ｃｈｅｃｋ ｏｕｔ ｍｙ ｃｈａｎｎｅｌ"
    features = extract(text, BOOK)
    start, end = features.signals["call-to-action"]
    assert text[start:end].startswith("ｃｈｅｃｋ")


def test_a_shortener_is_a_link_whatever_its_top_level_domain() -> None:
    links = extract("this is the exact one I got: amzn.to/4bXr2Lk, talk.to me", BOOK).links
    assert [(link.url, link.shortener) for link in links] == [("amzn.to/4bXr2Lk", True)]


@pytest.mark.parametrize(
    "hint", [hint for hints, _, _ in DISGUISES for hint in hints], ids=lambda hint: repr(hint)
)
def test_every_disguise_hint_passes_the_whole_text_check(hint: str) -> None:
    # A "$" hint is a word where a clause ends: here at the end of the text.
    assert may_be_disguised("see acme" + hint.removesuffix("$"))


# Fragments around the hints: blanks, dots, slashes, the TLD words, clause ends, capitals.
HINTISH = st.sampled_from(
    [
        " ",
        ".",
        "/",
        "*",
        "\\",
        "dot",
        "DoT",
        "com",
        "NET",
        "org",
        "\n",
        "\t",
        ",",
        ")",
        "!",
        "_",
        "a",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(HINTISH, st.text(max_size=3)), max_size=10).map("".join))
def test_the_whole_text_check_holds_wherever_a_hint_does(text: str) -> None:
    lowered = text.lower()
    if any(_has(lowered, hint) for hints, _, _ in DISGUISES for hint in hints):
        assert may_be_disguised(lowered)


@pytest.mark.parametrize(
    "text",
    [
        "a / b, and c .",  # the check's trigger characters, with nothing around them to undo
        "5 * 3 = 15",
        "one dot two",
    ],
)
def test_text_that_passes_the_whole_text_check_but_hides_no_link_has_none(text: str) -> None:
    assert may_be_disguised(text.lower())
    assert not extract(text, BOOK).links


def test_full_width_text_without_a_disguise_is_mapped_letter_by_letter() -> None:
    unmasked = unmask("ｈｅｌｌｏ there")
    assert unmasked is not None
    assert unmasked.text == "hello there"
    assert unmasked.span(0, 5) == (0, 5)
