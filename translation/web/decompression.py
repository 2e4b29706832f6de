"""HTTP content decoding (gzip, deflate, br) that never produces more output than asked for.

httpx's own decoders inflate each network chunk in one call, so a few kilobytes of a
compression bomb can become gigabytes in memory before any size check runs. These decoders
emit at most ``CHUNK_BYTES`` per step; the caller counts and stops at its cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

CHUNK_BYTES = 65_536
MAX_CODINGS = 2

#: What we tell servers we accept; every entry has a bounded decoder below.
ACCEPT_ENCODING = "gzip, deflate, br"


class DecompressionError(ValueError):
    """The body is not valid data in its declared encoding."""


class UnsupportedEncodingError(ValueError):
    """The server used a content coding we did not offer."""


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class IdentityDecoder:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


class ZlibDecoder:
    """gzip, or deflate with or without the zlib wrapper (servers send both)."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in {"gzip", "x-gzip"}
        self._inflater: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if self._gzip else None
        )

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _has_zlib_header(data) else -15)
        inflater = self._inflater
        try:
            yield inflater.decompress(data, CHUNK_BYTES)
            while inflater.unconsumed_tail and not inflater.eof:
                yield inflater.decompress(inflater.unconsumed_tail, CHUNK_BYTES)
        except zlib.error as exc:
            raise DecompressionError(str(exc)) from exc

    def flush(self) -> Iterator[bytes]:
        if self._inflater is not None and not self._inflater.eof:
            try:
                yield self._inflater.flush(CHUNK_BYTES)
            except zlib.error as exc:
                raise DecompressionError(str(exc)) from exc


class BrotliDecoder:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        try:
            output = decompressor.process(data, output_buffer_limit=CHUNK_BYTES)
            # A full buffer may hide more output: drain it with empty input, as brotli requires.
            while output:
                yield output
                output = decompressor.process(b"", output_buffer_limit=CHUNK_BYTES)
        except brotli.error as exc:
            raise DecompressionError(str(exc)) from exc

    def flush(self) -> Iterator[bytes]:
        return iter(())


class ChainDecoder:
    """Several codings, undone in reverse order of application (RFC 9110, 8.4)."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._pipe(0, iter((data,)))

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            yield from self._pipe(index + 1, decoder.flush())

    def _pipe(self, index: int, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Lazily pass ``chunks`` through decoders[index:], one bounded piece at a time."""
        if index == len(self._decoders):
            yield from chunks
            return
        for chunk in chunks:
            yield from self._pipe(index + 1, self._decoders[index].feed(chunk))


def decoder_for(content_encoding: str | None) -> Decoder:
    """A bounded decoder for a Content-Encoding header value (None or "" means identity)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > MAX_CODINGS:
        raise UnsupportedEncodingError(", ".join(codings))
    decoders = [_single_decoder(coding) for coding in reversed(codings)]
    if not decoders:
        return IdentityDecoder()
    return decoders[0] if len(decoders) == 1 else ChainDecoder(decoders)


def _single_decoder(coding: str) -> Decoder:
    if coding in {"gzip", "x-gzip", "deflate"}:
        return ZlibDecoder(coding)
    if coding == "br":
        return BrotliDecoder()
    raise UnsupportedEncodingError(coding)


def _has_zlib_header(data: bytes) -> bool:
    """RFC 1950 header check: deflate bodies come both with and without it."""
    if len(data) < 2:
        return bool(data) and data[0] & 0x0F == 8
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
