"""A similarity signature for a message, so near-duplicates can be counted without keeping text.

The signature is a 64-bit SimHash of word shingles (three words at a time). Before shingling,
@mentions are dropped and links are reduced to their domain: a blast that greets each recipient
by handle ("Hi @ann, …", "Hi @bob, …") or tags each link with a tracking id still collides.
Hashes are stable across processes (BLAKE2b, not Python's salted `hash`) because the SQLite sent
log compares signatures written by an earlier run.
"""

from __future__ import annotations

import re
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
_NON_WORD_ASCII = bytes(code for code in range(128) if not chr(code).isalnum())
# In ASCII text WORD's words are the runs of letters and digits: every other byte made a blank
# (and capitals made small, which spares a `str.lower`), a split finds them in C several times
# faster than the regex's match objects. Words stay bytes, ready to hash (cutting a dense
# draft's opening into words with the link and mention cuts: 8.0 -> 4.6 us).
ASCII_WORDS = bytes.maketrans(
    _NON_WORD_ASCII + b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    b" " * len(_NON_WORD_ASCII) + b"abcdefghijklmnopqrstuvwxyz",
)
MASK = (1 << BITS) - 1
PRIME = 0x100000001B3
SEED = 0x9E3779B97F4A7C15
# The shingles are mixed and counted all at once, as lanes of one big integer: the mixing's
# arithmetic and the majority's bit logic are then a few operations in C on the whole integer
# instead of a Python loop over the shingles (hashing, mixing and counting 34 words of a dense
# draft: 30 -> 15 us). A lane holds a 64-bit value in its low half: a value times PRIME
# (41 bits) stays inside its lane, so the lanes never carry into each other.
LANE = 128
LANE_BYTES = LANE // 8
LOW_HALVES = sum(MASK << (LANE * lane) for lane in range(MAX_SHINGLES))
SEEDS = sum(SEED << (LANE * lane) for lane in range(MAX_SHINGLES))
_ZERO_HALF = bytes(LANE_BYTES - BITS // 8)
WORD_CACHE = 8192


class _HashLanes(dict[bytes, bytes]):
    """Each word's 64-bit hash as one big-endian lane (high half zero), kept for the words seen
    last (at most `WORD_CACHE` of them: full, it starts again). Read through `__getitem__`: a
    dict lookup in C, without `lru_cache`'s argument tuple for a bytes key (34 words: 3.8 ->
    2.1 us)."""

    def __missing__(self, word: bytes) -> bytes:
        if len(self) >= WORD_CACHE:
            self.clear()
        lane = self[word] = _ZERO_HALF + blake2b(word, digest_size=8).digest()
        return lane


_HASH_LANES = _HashLanes()
_hash_lane = _HASH_LANES.__getitem__


def _tokens(
    text: str, links: list[Link] | None = None, mentions: list[Mention] | None = None
) -> list[bytes]:
    """The first words (lower case, UTF-8) of `text`, links read as their domain and mentions
    dropped."""
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
    plain = "".join(pieces)
    wanted = MAX_SHINGLES + SHINGLE - 1
    if plain.isascii():
        # `maxsplit` stops the split after the words that are used.
        return plain.encode("ascii").translate(ASCII_WORDS).split(None, wanted)[:wanted]
    # Only the first words are ever used: stop the search there rather than list every word.
    return [
        word.group().encode("utf-8", "surrogatepass")
        for word in islice(WORD.finditer(plain.lower()), wanted)
    ]


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
    if len(words) < SHINGLE:
        return _mix([int.from_bytes(_hash_lane(word)) for word in words])
    count = len(words) - SHINGLE + 1
    return _majority(_shingles(b"".join(map(_hash_lane, words)), count), count)


def _shingles(hashes: bytes, count: int) -> int:
    """`_mix` of every three consecutive word hashes, one shingle per lane.

    `hashes` are the words' hash lanes end to end: the first, second and third words of all
    shingles are then three overlapping slices of it, read as integers lane by lane."""
    size = count * LANE_BYTES
    unused = LANE * (MAX_SHINGLES - count)
    low_halves = LOW_HALVES >> unused
    mixed = SEEDS >> unused
    for offset in range(0, SHINGLE * LANE_BYTES, LANE_BYTES):
        mixed ^= int.from_bytes(hashes[offset : offset + size])
        mixed = (mixed * PRIME) & low_halves
        # The shift brings the next lane's low bits into this lane's high half: cleared.
        mixed = (mixed ^ mixed >> 29) & low_halves
    return mixed


def _majority(shingles: int, count: int) -> int:
    """The bits that more than half of the `count` shingles (lanes of `shingles`) set.

    Every bit position is counted at once, in binary spread over a few integers ("bit slices":
    bit i of the first is bit 0 of position i's count, of the second its bit 1, and so on; a
    Python loop over the 64 positions would cost more than all the hashing). The lanes are
    summed in halves: the upper half of the lanes is added to the lower half, slice by slice
    with a rippling carry, until one lane holds the counts."""
    slices = [shingles]
    lanes = 1 << (count - 1).bit_length()
    while lanes > 1:
        lanes //= 2
        shift = lanes * LANE
        lower = (1 << shift) - 1
        carry = 0
        added = []
        for counts in slices:
            high, low = counts >> shift, counts & lower
            either = high ^ low
            added.append(either ^ carry)
            carry = (high & low) | (carry & either)
        added.append(carry)
        slices = added
    # Compare every position's count with `half`, from the top bit down: a position is above
    # `half` once its count has a 1 where `half` has a 0 and the bits above agree.
    half = count // 2
    above, agreeing = 0, MASK
    for place in range(len(slices) - 1, -1, -1):
        counts = slices[place]
        if half >> place & 1:
            agreeing &= counts
        else:
            above |= agreeing & counts
            agreeing &= ~counts
    return above


def _mix(hashes: list[int]) -> int:
    """Order-sensitive combination of word hashes into one 64-bit shingle hash."""
    mixed = SEED
    for value in hashes:
        mixed = ((mixed ^ value) * PRIME) & MASK
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
