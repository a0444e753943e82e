"""A similarity signature for a message, so near-duplicates can be counted without keeping text.

The signature is a 64-bit SimHash of word shingles (three words at a time). Before shingling,
@mentions are dropped and links are reduced to their domain: a blast that greets each recipient
by handle ("Hi @ann, …", "Hi @bob, …") or tags each link with a tracking id still collides.
Hashes are stable across processes (BLAKE2b, not Python's salted `hash`) because the SQLite sent
log compares signatures written by an earlier run.
"""

from __future__ import annotations

import re
from functools import lru_cache
from hashlib import blake2b

from pullcheck.links import Link, Mention, find_links, find_mentions
from pullcheck.phrases import normalise

BITS = 64
SHINGLE = 3
# A blast is recognisable from its opening (about 35 words); capping shingles keeps a
# 3,000-character draft cheap.
MAX_SHINGLES = 32
# Only the opening is read: 32 shingles need 34 words, inside 600 characters of most text.
PREFIX_CHARS = 600
WORD = re.compile(r"[^\W_]+")
# Bit counts are summed in 8-bit fields of one integer: a count never exceeds MAX_SHINGLES.
FIELD = 8
assert MAX_SHINGLES < 1 << FIELD


def _spread_table() -> list[list[int]]:
    """SPREAD[k][b]: byte b at position k of a hash, one FIELD-bit field per bit."""
    table: list[list[int]] = []
    for byte_index in range(8):
        row = []
        for value in range(256):
            spread = 0
            for bit in range(8):
                if value >> bit & 1:
                    spread |= 1 << (FIELD * (8 * byte_index + bit))
            row.append(spread)
        table.append(row)
    return table


SPREAD = _spread_table()
# MAJORITY[half]: maps a field's count to b"1" when more than `half` shingles set that bit.
MAJORITY = [
    bytes(ord("1") if count > half else ord("0") for count in range(256))
    for half in range(MAX_SHINGLES // 2 + 1)
]


@lru_cache(maxsize=8192)
def _word_hash(word: str) -> int:
    return int.from_bytes(blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest())


@lru_cache(maxsize=8192)
def _opening(word: str) -> int:
    """The first step of `_mix` for a shingle that starts with `word`."""
    return _mix([_word_hash(word)])


def _tokens(
    text: str, links: list[Link] | None = None, mentions: list[Mention] | None = None
) -> list[str]:
    normalised = normalise(text)
    if links is None:
        links = find_links(normalised)
    if mentions is None:
        mentions = find_mentions(normalised)
    pieces: list[str] = []
    cursor = 0
    # Replace links by their domain and drop mentions, keeping the order of everything else.
    cuts = sorted(
        [(link.start, link.end, f" {link.domain} ") for link in links if link.end > link.start]
        + [(mention.start, mention.end, " ") for mention in mentions if mention.end > mention.start]
    )
    for start, end, replacement in cuts:
        if start < cursor:
            continue
        pieces.append(normalised[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(normalised[cursor:])
    return WORD.findall("".join(pieces).lower())


def similarity_signature(
    text: str, links: list[Link] | None = None, mentions: list[Mention] | None = None
) -> int:
    """64-bit SimHash of the text's word shingles; 0 for text without words.

    `links` and `mentions`, when the caller already found them in `text`, save finding them
    again."""
    if len(text) > PREFIX_CHARS:
        text = text[:PREFIX_CHARS]
        links = None if links is None else [link for link in links if link.end <= PREFIX_CHARS]
        if mentions is not None:
            mentions = [mention for mention in mentions if mention.end <= PREFIX_CHARS]
    words = _tokens(text, links, mentions)[: MAX_SHINGLES + SHINGLE - 1]
    if not words:
        return 0
    hashes = [_word_hash(word) for word in words]
    if len(hashes) < SHINGLE:
        shingles = [_mix(hashes)]
    else:
        # `_mix` of three hashes, written out (a call per shingle cost as much as the mixing);
        # its first step depends on the first word alone, so it comes cached with the word.
        shingles = []
        for first, second, third in zip(
            map(_opening, words), hashes[1:], hashes[2 : MAX_SHINGLES + 2], strict=False
        ):
            mixed = ((first ^ second) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
            mixed ^= mixed >> 29
            mixed = ((mixed ^ third) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
            shingles.append(mixed ^ mixed >> 29)
    # Count, for every bit, how many shingles set it: each shingle is "spread" so that bit i
    # lands in its own field of one big integer, and a single addition then counts all 64 bits
    # at once (a Python loop over bits would cost ~1 ms for a long draft).
    s0, s1, s2, s3, s4, s5, s6, s7 = SPREAD
    total = 0
    for h in shingles:
        # Unrolled over the eight bytes: this runs 32 times per draft on the hot path.
        total += (
            s0[h & 0xFF] + s1[h >> 8 & 0xFF] + s2[h >> 16 & 0xFF] + s3[h >> 24 & 0xFF]
            + s4[h >> 32 & 0xFF] + s5[h >> 40 & 0xFF] + s6[h >> 48 & 0xFF] + s7[h >> 56]
        )
    # The 64 counts, one byte each from bit 0 up, become the signature's binary digits in one
    # go: a Python loop over the 64 bits cost as much as the counting.
    counts = total.to_bytes(BITS * FIELD // 8, "little")
    return int(counts.translate(MAJORITY[len(shingles) // 2])[::-1], 2)


def _mix(hashes: list[int]) -> int:
    """Order-sensitive combination of word hashes into one 64-bit shingle hash."""
    mixed = 0x9E3779B97F4A7C15
    for value in hashes:
        mixed = ((mixed ^ value) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        mixed ^= mixed >> 29
    return mixed


def distance(first: int, second: int) -> int:
    """Number of differing bits between two signatures."""
    return (first ^ second).bit_count()


def link_domains(text: str, extra_links: list[str] | None = None) -> list[str]:
    """Sorted distinct domains of the links in `text` and in `extra_links`."""
    from pullcheck.links import domain_of

    domains = {link.domain for link in find_links(normalise(text))}
    domains.update(domain for domain in (domain_of(url) for url in extra_links or ()) if domain)
    return sorted(domains)
