"""The signature's shortcuts against the plain forms they replace: the lane-parallel mixing and
majority vote against a mix per shingle and a count per bit, the ASCII word split against the
word regex."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pullcheck.signature import (
    _HASH_LANES,
    BITS,
    LANE,
    MAX_SHINGLES,
    SHINGLE,
    WORD,
    WORD_CACHE,
    _hash_lane,
    _majority,
    _mix,
    _shingles,
    _tokens,
)

SHINGLE_HASH = st.integers(min_value=0, max_value=(1 << BITS) - 1)


def in_lanes(values: list[int]) -> int:
    return sum(value << (LANE * lane) for lane, value in enumerate(values))


def majority_bit_by_bit(shingles: list[int]) -> int:
    half = len(shingles) // 2
    return sum(
        1 << bit for bit in range(BITS) if sum(shingle >> bit & 1 for shingle in shingles) > half
    )


@settings(max_examples=500, deadline=None)
@given(st.lists(SHINGLE_HASH, min_size=1, max_size=MAX_SHINGLES))
def test_majority_counts_every_bit(shingles: list[int]) -> None:
    assert _majority(in_lanes(shingles), len(shingles)) == majority_bit_by_bit(shingles)


@given(SHINGLE_HASH, st.integers(min_value=1, max_value=MAX_SHINGLES))
def test_majority_of_copies_is_the_copy(shingle: int, copies: int) -> None:
    # Every count is 0 or `copies`, the carries' longest ripple: 32 copies reach the top slice.
    assert _majority(in_lanes([shingle] * copies), copies) == shingle


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=8), min_size=SHINGLE, max_size=MAX_SHINGLES + 2))
def test_shingles_are_the_mix_of_every_three_words(words: list[bytes]) -> None:
    hashes = [int.from_bytes(_hash_lane(word)) for word in words]
    count = len(words) - SHINGLE + 1
    lanes = _shingles(b"".join(map(_hash_lane, words)), count)
    # The first shingle is in the top lane: the lanes were read big-endian.
    expected = [_mix(hashes[first : first + SHINGLE]) for first in range(count)]
    assert lanes == in_lanes(expected[::-1])


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_ascii_text_is_cut_into_the_words_the_regex_finds(text: str) -> None:
    regex_words = WORD.findall(text.lower())[: MAX_SHINGLES + SHINGLE - 1]
    assert [word.decode("ascii") for word in _tokens(text, [], [])] == regex_words


def test_the_word_hash_cache_stays_bounded() -> None:
    for number in range(WORD_CACHE + 10):
        _hash_lane(b"word%d" % number)
        assert len(_HASH_LANES) <= WORD_CACHE
    # A word hashed again after the cache started over has the same lane.
    assert _hash_lane(b"word0") == _hash_lane(b"word0") == _HASH_LANES[b"word0"]
