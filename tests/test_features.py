"""Feature extraction: links, mentions, phrase groups with spans, signals, asks_for_help."""

from __future__ import annotations

import pytest
from pullcheck.builtin_ask import asks_for_help
from pullcheck.features import extract
from pullcheck.rulebook import builtin_rules_dir, load_phrasebook

BOOK = load_phrasebook([builtin_rules_dir()])


def features(text: str, **kwargs):
    return extract(text, BOOK, **kwargs)


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("see https://acme.example/shop?x=1", "acme.example"),
        ("see www.acme.example.", "acme.example"),
        ("see acme-web.example/shop", "acme-web.example"),
        ("see acme.com", "acme.com"),
    ],
)
def test_links_with_scheme_www_and_bare_domains(text: str, domain: str) -> None:
    found = features(text)
    assert [link.domain for link in found.links] == [domain]
    link = found.links[0]
    assert text[link.start : link.end] == link.url


@pytest.mark.parametrize("text", ["read file.txt", "e.g. this", "version 3.5", "me@acme.com"])
def test_things_that_are_not_links(text: str) -> None:
    assert features(text).links == []


def test_shortener_is_a_signal() -> None:
    found = features("look bit.ly/3abc")
    assert found.links[0].shortener
    assert found.has("shortener")


def test_trailing_punctuation_is_not_part_of_a_link() -> None:
    assert features("(go to acme.example/a).").links[0].url == "acme.example/a"


def test_referral_link_is_a_promo_link() -> None:
    assert features("https://shop.example/?ref=123").has("promo-link")
    assert not features("https://docs.example/guide").has("promo-link")


def test_structured_links_and_allowlisted_domains() -> None:
    found = features("hi", extra_links=["https://acme.example/x"])
    assert found.has("link")
    assert found.links[0].start == found.links[0].end == 0
    assert not features("see acme.example", ignore_domains={"acme.example"}).has("link")
    assert not features("see shop.acme.example", ignore_domains={"acme.example"}).has("link")


def test_mentions_including_fediverse_handles_not_emails() -> None:
    found = features("hi @Ann and @bob@social.example, mail me@acme.example")
    assert [mention.handle for mention in found.mentions] == ["ann", "bob@social.example"]


def test_phrase_group_hits_have_spans() -> None:
    text = "Thanks for the follow! Visit my website acme.example"
    found = features(text)
    assert found.has("thanks-for-following")
    assert found.has("call-to-action")
    start, end = found.span_of("thanks-for-following")
    assert text[start:end] == "Thanks for the follow"


def test_shouting_needs_enough_letters() -> None:
    assert features("BUY THIS AMAZING THING NOW").has("shouting")
    assert not features("OK USA").has("shouting")


@pytest.mark.parametrize(
    ("text", "shouting"),
    [
        # Mostly capitals, but single ones (not runs): the quick count lets it through to the
        # exact one, which says no.
        ("A B C D E F G H I J K L M N O P", False),
        ("BUY NOW, LIMITED OFFER, today", True),
        ("BUY NOW, LIMITED OFFER, only today and tomorrow", False),
        ("ΑΓΟΡΑΣΤΕ ΤΩΡΑ ΠΡΙΝ ΤΕΛΕΙΩΣΕΙ", True),  # not ASCII: counted by the regex alone
        ("ΑΓΟΡΑΣΤΕ τώρα πριν τελειώσει η προσφορά", False),
    ],
)
def test_shouting_is_most_letters_in_runs_of_capitals(text: str, shouting: bool) -> None:
    found = features(text)
    assert found.has("shouting") is shouting
    assert shouting is (found.letters >= 12 and found.capitals >= 0.7 * found.letters)


def test_exclamation_run() -> None:
    found = features("wow!!! great")
    assert found.has("exclamations")
    assert found.longest_exclamation_run == 3
    assert not features("wow!! great").has("exclamations")


def test_counts() -> None:
    found = features("HELLO World, hello 42 I")
    assert found.words == 4
    assert found.letters == 16
    assert found.capitals == 5


@pytest.mark.parametrize(
    "parent",
    [
        "I'm looking for a widget seller in Albania",
        "Can anyone recommend a good accountant?",
        "Any suggestions for a dentist in Leeds",
        "@airline my flight was cancelled and nobody answers",
        "@airline where do I pick up my bags?",
    ],
)
def test_parent_that_asks(parent: str) -> None:
    ask = asks_for_help(parent)
    assert ask.answer == "yes"
    assert ask.evidence


@pytest.mark.parametrize(
    "parent", ["PSY - GANGNAM STYLE (official music video)", "Sunset over the harbour tonight"]
)
def test_parent_that_does_not_ask(parent: str) -> None:
    assert asks_for_help(parent)[:2] == ("no", None)


@pytest.mark.parametrize("parent", [None, "", "   "])
def test_parent_unknown_without_text(parent: str | None) -> None:
    assert asks_for_help(parent).answer == "unknown"


def test_single_exclamation_marks_make_no_run() -> None:
    found = features("wow! great! yes!")
    assert found.longest_exclamation_run == 0
    assert not found.has("exclamations")


def test_the_longest_run_of_exclamation_marks_is_counted() -> None:
    assert features("ok!!! and then!!!!! fine!").longest_exclamation_run == 5


@pytest.mark.parametrize(
    "text",
    [
        "BUY 12 34 56 78 90 NOW OK GO",  # few small letters, many other characters
        "Buy Now Limited Offer Today Only",  # capitals, but single ones
        "1234567890 !!!! ABCDEFGHIJKL",
        "ABCDEFGHIJKLMNOPqrstu, 1 2 3 4 5 6 7",
        "BUY THIS AMAZING THING NOW and then some more small words",  # small ones at the end
        "and then some more small words BUY THIS AMAZING THING NOW",  # and at the start
        "BUY THIS AMAZING THING NOW, LIMITED OFFER, ACT NOW now",
    ],
)
def test_shouting_is_decided_the_same_with_few_small_letters(text: str) -> None:
    found = features(text)
    assert found.has("shouting") is (found.letters >= 12 and found.capitals >= 0.7 * found.letters)


def test_a_structured_link_already_in_the_text_is_not_counted_twice() -> None:
    found = features("see https://acme.example/x", extra_links=["https://acme.example/x"])
    assert [link.url for link in found.links] == ["https://acme.example/x"]


def test_structured_mentions_are_added_once_without_their_at_sign() -> None:
    found = features("hi @ann", extra_mentions=["@Ann", "bob", "@bob", "@"])
    assert [(mention.handle, mention.start) for mention in found.mentions] == [
        ("ann", 3),
        ("bob", 0),
    ]
