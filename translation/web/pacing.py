"""Read pacing: what a download costs must not depend on how the server slices it.

A server that sends a page one byte per TCP segment makes a naive reader call ``read()`` once
per byte, tens of thousands of times a second, every call a trip through httpcore, h11 and
httpx on the event loop. Here every connection reads at most ``reads_per_second`` times a
second: after a read, the next one waits out the rest of its interval, and whatever the server
sent meanwhile sits in the kernel's socket buffer and comes back from one read. A fast server
loses nothing (one read returns up to 64 KiB), a slicing server buys nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore import SOCKET_OPTION

#: Default pace: 200 reads a second is 13 MB/s at httpcore's 64 KiB reads, 3 MB/s over TLS.
DEFAULT_READS_PER_SECOND = 200.0


class DelegatingStream(httpcore.AsyncNetworkStream):
    """A network stream that passes everything to ``inner``; subclasses change ``read``."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        return self.wrap(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def wrap(self, tls: httpcore.AsyncNetworkStream) -> httpcore.AsyncNetworkStream:
        """The stream to use after the TLS handshake (the TLS stream itself by default)."""
        return tls

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PacedStream(DelegatingStream):
    """A network stream whose reads are at least ``interval`` seconds apart."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, interval: float) -> None:
        super().__init__(inner)
        self._interval = interval
        self._next_read = 0.0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        wait = self._next_read - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            return await self._inner.read(max_bytes, timeout)
        finally:
            self._next_read = time.monotonic() + self._interval

    def wrap(self, tls: httpcore.AsyncNetworkStream) -> httpcore.AsyncNetworkStream:
        return PacedStream(tls, self._interval)


class PacedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections through ``inner`` and paces every stream it returns."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        reads_per_second: float = DEFAULT_READS_PER_SECOND,
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._interval = 1.0 / reads_per_second

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return PacedStream(stream, self._interval)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
