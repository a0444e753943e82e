"""Content-Encoding decoding with an output limit: bombs stop at the limit, good bodies decode."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import brotli
import pytest
import zstandard
from pullcheck.proxy.inflate import inflate

PAGE = b'{"status": "hello world", "visibility": "public"}' * 200
BOMB_SIZE = 64 * 1024 * 1024
ZEROS = b"\0" * BOMB_SIZE


def encoders():
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "raw-deflate": lambda data: raw_deflate.compress(data) + raw_deflate.flush(),
        "br": lambda data: brotli.compress(data, quality=5),
        "zstd": zstandard.ZstdCompressor().compress,
    }


HEADER = {
    "gzip": "gzip",
    "deflate": "deflate",
    "raw-deflate": "deflate",
    "br": "br",
    "zstd": "zstd",
}


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {name: encode(ZEROS) for name, encode in encoders().items() if name != "raw-deflate"}


@pytest.mark.parametrize("name", list(HEADER))
def test_a_body_decodes_as_sent(name):
    encoded = encoders()[name](PAGE)
    assert inflate(encoded, HEADER[name], len(PAGE)) == PAGE


@pytest.mark.parametrize("name", ["gzip", "deflate", "br", "zstd"])
def test_a_bomb_stops_at_the_limit_without_making_the_rest(name, bombs):
    bomb = bombs[name]
    assert len(bomb) < 100_000  # 64 MiB of zeros in a few KB
    tracemalloc.start()
    try:
        result = inflate(bomb, HEADER[name], 4 * 1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result is None
    assert peak < 16 * 1024 * 1024  # the limit and a piece or two, never the 64 MiB


@pytest.mark.parametrize("name", ["gzip", "br", "zstd"])
def test_exactly_the_limit_is_allowed_and_one_byte_more_is_not(name):
    data = b"x" * 10_000
    encoded = encoders()[name](data)
    assert inflate(encoded, HEADER[name], 10_000) == data
    assert inflate(encoded, HEADER[name], 9_999) is None


def test_gzip_members_one_after_another_decode_as_one_body():
    assert inflate(gzip.compress(b"one ") + gzip.compress(b"two"), "gzip", 100) == b"one two"


def test_stacked_codings_are_undone_last_first():
    encoded = brotli.compress(gzip.compress(PAGE))
    assert inflate(encoded, "gzip, br", len(PAGE)) == PAGE


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("br", PAGE),
        ("gzip", PAGE),
        ("zstd", b"\x28\xb5\x2f\xfd garbage"),
        ("gzip", gzip.compress(PAGE)[:-20]),
        ("br", brotli.compress(PAGE)[:-5]),
        ("compress", PAGE),
        ("gzip, gzip, gzip, gzip, gzip", PAGE),
    ],
)
def test_a_body_that_is_not_what_its_header_says_is_a_value_error(encoding, data):
    # each coding words its complaint differently; the contract is the type
    with pytest.raises(ValueError):  # noqa: PT011
        inflate(data, encoding, 1 << 20)


def test_identity_is_the_body_itself_within_the_limit():
    assert inflate(PAGE, "identity", len(PAGE)) == PAGE
    assert inflate(PAGE, "identity", len(PAGE) - 1) is None
