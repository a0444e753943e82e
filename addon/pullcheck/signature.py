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
from itertools import islice

from pullcheck.links import Link, Mention, domain_of, find_links, find_mentions
from pullcheck.phrases import normalise

BITS = 64
SHINGLE = 3
# A blast is recognisable from its opening (about 35 words); capping shingles keeps a
# 3,000-character draft cheap.
MAX_SHINGLES = 32
# Only the opening is read: 32 shingles need 34 words, inside 600 characters of most text.
PREFIX_CHARS = 600
WORD = re.compile(r"[^\W_]+")
# In ASCII text WORD's words are the runs of letters and digits: every other byte made a blank,
# a split finds them in C several times faster than the regex's match objects.
ASCII_NON_WORD = bytes.maketrans(
    bytes(code for code in range(128) if not chr(code).isalnum()),
    b" " * sum(1 for code in range(128) if not chr(code).isalnum()),
)
MASK = (1 << BITS) - 1
# `_majority` counts in six bits per position.
assert MAX_SHINGLES < 1 << 6


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
    plain = "".join(pieces).lower()
    wanted = MAX_SHINGLES + SHINGLE - 1
    if plain.isascii():
        return plain.encode("ascii").translate(ASCII_NON_WORD).decode("ascii").split()[:wanted]
    # Only the first words are ever used: stop the search there rather than list every word.
    return [word.group() for word in islice(WORD.finditer(plain), wanted)]


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
    words = _tokens(text, links, mentions)
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
    return _majority(shingles)


def _majority(shingles: list[int]) -> int:
    """The bits that more than half of `shingles` set.

    Every bit position is counted at once, in binary spread over six integers: bit i of
    `ones` is bit 0 of position i's count, bit i of `twos` its bit 1, and so on (a "bit-sliced"
    counter: a Python loop over the 64 positions would cost more than all the hashing). Adding a
    shingle is a binary addition with the carry rippling up only as far as it goes."""
    ones = twos = fours = eights = sixteens = thirty_twos = 0
    for carry in shingles:
        ones, carry = ones ^ carry, ones & carry
        if carry:
            twos, carry = twos ^ carry, twos & carry
            if carry:
                fours, carry = fours ^ carry, fours & carry
                if carry:
                    eights, carry = eights ^ carry, eights & carry
                    if carry:
                        sixteens, carry = sixteens ^ carry, sixteens & carry
                        thirty_twos |= carry
    # Compare every position's count with `half`, from the top bit down: a position is above
    # `half` once its count has a 1 where `half` has a 0 and the bits above agree.
    half = len(shingles) // 2
    above, agreeing = 0, MASK
    slices = (thirty_twos, sixteens, eights, fours, twos, ones)
    for place, counts in zip(range(len(slices) - 1, -1, -1), slices, strict=True):
        if half >> place & 1:
            agreeing &= counts
        else:
            above |= agreeing & counts
            agreeing &= ~counts
    return above


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
    domains = {link.domain for link in find_links(normalise(text))}
    domains.update(domain for domain in (domain_of(url) for url in extra_links or ()) if domain)
    return sorted(domains)
