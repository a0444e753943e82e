"""The similarity signature never changes: the SQLite sent log compares signatures written by
earlier runs, so any faster form must give the same 64 bits.

Pinned values were computed with the signature as it stood before it was made faster (commit
f043a40); the property test compares the signature with a plain reference written for clarity
(a regex for the words, one BLAKE2b per word, a count per bit)."""

from __future__ import annotations

import re
from hashlib import blake2b

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.links import Link, Mention, find_links, find_mentions
from pullcheck.phrases import normalise
from pullcheck.signature import similarity_signature

# 22 long words (560 characters), so whatever follows reaches the 600-character cut.
LONG_WORDS = " ".join(f"longword{index:02d}" + "x" * 16 for index in range(22))[:560]

PINNED = [
    ("", 0x0),
    ("hi", 0xF304A6BAB559D8F0),
    ("Hi there", 0x855B2F41845AD9F0),
    ("Hi! Grab our spring catalogue at acme.example/spring", 0x4066819E8C45A400),
    ("@ann you will love this: https://acme.example/deal?ref=ann", 0x80085928A1859F92),
    ("@bob you will love this: https://acme.example/deal?ref=bob", 0x80085928A1859F92),
    (
        "New episode is out, listen here: pod.example/42 - would love your thoughts!",
        0x40D0410AE0104912,
    ),
    ("Ça coûte 12 € — «très» cher, n’est-ce pas? Über-größe naïve café", 0x4CE69D44606FCFE3),
    ("İstanbul'da BÜYÜK indirim! Şimdi al: https://dükkan.example/kampanya", 0x821CE893D9D9BA81),
    ("東京の新しいカフェ https://cafe.example/tokyo 是非来てね 😀😀", 0x21D000012EA19388),
    ("snake_case words_with_underscores and CamelCase MixedUp 3rd 4th x2", 0x3DA1701C3EC70794),
    ("“Smart quotes” and ‘single’ ones, plus `backticks` too", 0xE2117083A359650C),
    (" ".join(f"w{index}" for index in range(60)), 0x03EF706186791009),
    ("We offer web design for small businesses, starting at $499. " * 20, 0x9B34A829C2ED041C),
    ("!!! ??? ... --- ***", 0x0),
    # The Kelvin sign lowers to an ASCII "k"; title-case digraphs and a ligature stay non-ASCII.
    ("\u212aelvin scale of 5\u212a temperatures here", 0x6535810D01008460),
    ("ǅungla ǈj ǋj title-case digraphs and ﬁ ligatures", 0x431D83789FCD2688),
]


@pytest.mark.parametrize(("text", "expected"), PINNED)
def test_signature_is_the_one_earlier_runs_wrote(text: str, expected: int) -> None:
    assert similarity_signature(text) == expected


@pytest.mark.parametrize(("text", "expected"), PINNED)
def test_signature_with_the_features_links_is_the_same(text: str, expected: int) -> None:
    normalised = normalise(text)
    assert similarity_signature(text, find_links(normalised), find_mentions(normalised)) == expected


@pytest.mark.parametrize(
    ("text", "found_alone", "with_full_text_links"),
    [
        # The link crosses the cut: found in the cut text it reads as its domain; handed over
        # from the whole text it ends past the cut and its words are read as they stand.
        (
            LONG_WORDS + " see https://shop.example/spring-sale?ref=abc123 now",
            0xAB936CA7D203B7F0,
            0xAB817C87D20387C2,
        ),
        (
            LONG_WORDS + " ping @someone_with_a_long_handle_here_and_more ok",
            0xAB917CA7D20784E0,
            0x2B837EA7D206B6E2,
        ),
    ],
)
def test_a_link_or_mention_across_the_cut_keeps_its_pinned_signature(
    text: str, found_alone: int, with_full_text_links: int
) -> None:
    normalised = normalise(text)
    assert similarity_signature(text) == found_alone
    links, mentions = find_links(normalised), find_mentions(normalised)
    assert similarity_signature(text, links, mentions) == with_full_text_links


def reference_signature(
    text: str, links: list[Link] | None = None, mentions: list[Mention] | None = None
) -> int:
    """The signature as documented, step by step, with no shortcut."""
    if len(text) > 600:
        text = text[:600]
        links = None if links is None else [link for link in links if link.end <= 600]
        mentions = None if mentions is None else [item for item in mentions if item.end <= 600]
    plain = normalise(text)
    links = find_links(plain) if links is None else links
    mentions = find_mentions(plain) if mentions is None else mentions
    # Links become their domain, mentions a blank; a cut overlapping an earlier one is skipped.
    cuts = sorted(
        [(link.start, link.end, f" {link.domain} ") for link in links if link.end > link.start]
        + [(item.start, item.end, " ") for item in mentions if item.end > item.start]
    )
    kept, cursor = "", 0
    for start, end, replacement in cuts:
        if start >= cursor:
            kept += plain[cursor:start] + replacement
            cursor = end
    kept += plain[cursor:]
    words = re.findall(r"[^\W_]+", kept.lower())[:34]
    if not words:
        return 0
    hashes = [
        int.from_bytes(blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest())
        for word in words
    ]
    shingles = []
    for first in range(max(1, len(hashes) - 2)):
        mixed = 0x9E3779B97F4A7C15
        for value in hashes[first : first + 3]:
            mixed = ((mixed ^ value) * 0x100000001B3) % 2**64
            mixed ^= mixed >> 29
        shingles.append(mixed)
    return sum(
        1 << bit
        for bit in range(64)
        if sum(shingle >> bit & 1 for shingle in shingles) > len(shingles) // 2
    )


def test_reference_gives_the_pinned_values() -> None:
    for text, expected in PINNED:
        assert reference_signature(text) == expected


WORDS = st.text(alphabet="abcXYZ019_éßİ東😀'’`“-", min_size=1, max_size=12)
LINKS = st.sampled_from(
    ["https://acme.example/deal?ref=1", "pod.example/42", "www.widgets.example.", "t.co/x"]
)
MENTIONS = st.sampled_from(["@ann", "@bob_b", "@cat@social.example"])
PIECES = st.lists(st.one_of(WORDS, LINKS, MENTIONS), max_size=150)
SEPARATORS = st.sampled_from([" ", ", ", "! ", "\n", "  "])


@settings(max_examples=400, deadline=None)
@given(PIECES, SEPARATORS)
def test_signature_equals_the_reference_on_varied_text(pieces: list[str], separator: str) -> None:
    text = separator.join(pieces)
    assert similarity_signature(text) == reference_signature(text)
    normalised = normalise(text)
    links, mentions = find_links(normalised), find_mentions(normalised)
    assert similarity_signature(text, links, mentions) == reference_signature(text, links, mentions)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=700))
def test_signature_equals_the_reference_on_any_string(text: str) -> None:
    assert similarity_signature(text) == reference_signature(text)
