"""Undo a body's Content-Encoding without ever producing more than a limit.

mitmproxy's `message.content` (and `get_content`) decodes the whole body first and checks
nothing: a 1.6 KB brotli body inflated to 1 GiB on the event loop (2.2 GB resident, every flow
stalled for 3.4 s), and gzip and zstd bombs do the same. Here every decoder is driven as a
stream with an output limit, so at most `limit + 1` bytes are ever made:

- gzip, deflate: `zlib.decompressobj(...).decompress(data, max_length)`;
- br: brotlicffi's `Decompressor.process(data, output_buffer_limit=...)` (the `brotli` module
  mitmproxy ships, 1.1.0, has no output limit: one call decodes everything);
- zstd: zstandard's `stream_reader(...).read(size)`.

Pure functions, no mitmproxy. `inflate(raw, encoding, limit)` returns the decoded bytes, or
None when they would pass `limit`. A body that is not what its header says raises
`ValueError` (the caller decides; the proxy then reads it as sent, as mitmproxy's
`get_content(strict=False)` does). All three decoders release the interpreter lock while they
work, so decoding in a worker thread does not hold up the event loop.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable

import brotlicffi
import zstandard

# Output is asked for in pieces of this size (each piece is one call into the decoder).
PIECE = 256 * 1024
# A `Content-Encoding` may list several codings ("gzip, br"): more than this is not a body
# worth reading.
MAX_CODINGS = 4


class TooLarge(Exception):
    """The decoded body would pass the limit (raised inside, returned as None)."""


def inflate(raw: bytes, encoding: str, limit: int) -> bytes | None:
    """`raw` with the codings of `encoding` undone (last applied, first undone); None when the
    result would be longer than `limit`. Raises ValueError for an unknown coding or data that
    does not decode."""
    codings = [part.strip().lower() for part in encoding.split(",") if part.strip()]
    if len(codings) > MAX_CODINGS:
        raise ValueError(f"{len(codings)} content codings")
    body = raw
    try:
        for coding in reversed(codings):
            body = _decoder(coding)(body, limit)
    except TooLarge:
        return None
    return body


def _decoder(coding: str) -> Callable[[bytes, int], bytes]:
    if coding in ("identity", "none"):
        return _identity
    if coding in ("gzip", "x-gzip"):
        return _gzip
    if coding == "deflate":
        return _deflate
    if coding == "br":
        return _brotli
    if coding == "zstd":
        return _zstd
    raise ValueError(f"unknown content coding {coding!r}")


def _identity(data: bytes, limit: int) -> bytes:
    if len(data) > limit:
        raise TooLarge
    return data


def _zlib_stream(data: bytes, limit: int, wbits: int, members: bool) -> bytes:
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits)
        try:
            while pending:
                room = limit - len(out)
                piece = inflater.decompress(pending, min(PIECE, room + 1))
                out += piece
                if len(out) > limit:
                    raise TooLarge
                pending = inflater.unconsumed_tail
                if not piece and pending:  # pragma: no cover - zlib always makes progress
                    raise ValueError("deflate stream made no progress")
            out += inflater.flush(limit + 1 - len(out))
        except zlib.error as error:
            raise ValueError(f"bad {'gzip' if members else 'deflate'} data: {error}") from None
        if len(out) > limit:
            raise TooLarge
        if not inflater.eof:
            raise ValueError("truncated compressed data")
        # gzip allows several members one after another (`cat a.gz b.gz`); deflate does not.
        pending = inflater.unused_data if members else b""
    return bytes(out)


def _gzip(data: bytes, limit: int) -> bytes:
    return _zlib_stream(data, limit, 16 + zlib.MAX_WBITS, members=True)


def _deflate(data: bytes, limit: int) -> bytes:
    # Servers send zlib-wrapped deflate or (against the spec) raw deflate; mitmproxy accepts
    # both, so does this.
    try:
        return _zlib_stream(data, limit, zlib.MAX_WBITS, members=False)
    except ValueError:
        return _zlib_stream(data, limit, -zlib.MAX_WBITS, members=False)


def _brotli(data: bytes, limit: int) -> bytes:
    decompressor = brotlicffi.Decompressor()
    out = bytearray()
    try:
        piece = decompressor.process(data, output_buffer_limit=min(PIECE, limit + 1))
        while True:
            out += piece
            if len(out) > limit:
                raise TooLarge
            if decompressor.is_finished() or decompressor.can_accept_more_data():
                break  # done, or it wants input we do not have (a truncated stream)
            piece = decompressor.process(b"", output_buffer_limit=min(PIECE, limit + 1 - len(out)))
            if not piece:
                break
    except brotlicffi.error as error:
        raise ValueError(f"bad brotli data: {error}") from None
    if not decompressor.is_finished():
        raise ValueError("truncated brotli data")
    return bytes(out)


def _zstd(data: bytes, limit: int) -> bytes:
    out = bytearray()
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(data), read_across_frames=True
        )
        while True:
            piece = reader.read(min(PIECE, limit + 1 - len(out)))
            if not piece:
                break
            out += piece
            if len(out) > limit:
                raise TooLarge
    except zstandard.ZstdError as error:
        raise ValueError(f"bad zstd data: {error}") from None
    return bytes(out)
