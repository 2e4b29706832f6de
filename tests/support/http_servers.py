"""A loopback HTTP server for tests that fetch pages, with byte-level control over responses.

Hostile-server behaviour is the point, so this speaks HTTP/1.1 on raw asyncio streams instead of
a framework that "fixes" responses (aiohttp always adds a Content-Type, for one). Each route
sets status, headers, body, a delay before the answer, a slow drip of the body, or an endless
body; ``Route.redirect`` builds redirects. Every request is recorded.

    async with PageServer() as server:
        url = server.add("/artikel", "<html>…</html>")
        slow = server.route("/slow", Route(body=b"x" * 100, drip_interval=0.5, chunk_size=1))
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType

import httpcore

from translation.web.netguard import IPAddress
from translation.web.pacing import DelegatingStream

HTML = "text/html; charset=utf-8"
_MAX_REQUEST_HEAD = 65_536


@dataclass(frozen=True)
class Route:
    """How the server answers one path. ``content_type=None`` sends no Content-Type at all."""

    body: bytes | str = b""
    status: int = 200
    content_type: str | None = HTML
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_size: int = 16_384
    drip_interval: float = 0.0
    endless: bool = False
    raw_response: bytes | None = None  # sent verbatim instead of a well-formed response

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Route:
        return cls(status=status, content_type=None, headers={"Location": location})

    @property
    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class ServedRequest:
    method: str
    target: str
    headers: dict[str, str]
    server_address: str

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


NOT_FOUND = Route(body=b"not found", status=404, content_type="text/plain")


class PageServer:
    """Serves ``routes`` on 127.0.0.1 (a free port) while used as an async context manager."""

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: a server-side context to speak HTTPS instead of HTTP."""
        self.routes: dict[str, Route] = dict(routes or {})
        self.tls = tls
        self.requests: list[ServedRequest] = []
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path``; returns its full URL."""
        self.routes[path] = route
        return self.url(path)

    def add(
        self,
        path: str,
        body: str | bytes,
        content_type: str | None = HTML,
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        """Shorthand for a plain page (same signature as the bot harness's ArticleServer)."""
        return self.route(
            path, Route(body=body, status=status, content_type=content_type, delay=delay)
        )

    def paths_requested(self) -> list[str]:
        return [request.path for request in self.requests]

    async def __aenter__(self) -> PageServer:
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request = await self._read_request(reader, writer)
            if request is not None:
                self.requests.append(request)
                await self._answer(writer, self.routes.get(request.path, NOT_FOUND))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away, as fetchers that hit a cap do
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> ServedRequest | None:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_REQUEST_HEAD:
            return None
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        sockname = writer.get_extra_info("sockname")
        return ServedRequest(method, target, headers, sockname[0] if sockname else "")

    async def _answer(self, writer: asyncio.StreamWriter, route: Route) -> None:
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.raw_response is not None:
            writer.write(route.raw_response)
            await writer.drain()
            return
        writer.write(_response_head(route))
        await writer.drain()
        payload = route.payload
        while True:
            for start in range(0, len(payload), route.chunk_size):
                writer.write(payload[start : start + route.chunk_size])
                await writer.drain()
                # drain() does not yield while the socket takes the data: without a pause,
                # an endless stream of tiny writes would starve the fetcher on this loop
                await asyncio.sleep(route.drip_interval)
            if not (route.endless and payload):
                return


def _response_head(route: Route) -> bytes:
    try:
        reason = HTTPStatus(route.status).phrase
    except ValueError:
        reason = "Unknown"
    headers = {"Connection": "close"}
    if route.content_type is not None:
        headers["Content-Type"] = route.content_type
    if not route.endless:
        headers["Content-Length"] = str(len(route.payload))
    headers.update(route.headers)
    lines = [f"HTTP/1.1 {route.status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, read and released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


class StaticResolver:
    """DNS for tests: fixed answers per name (several answers allowed), nothing for others.

    ``answers`` maps a name to its addresses; a list of lists gives successive answers, which is
    how a DNS-rebinding attacker behaves. ``calls`` records every lookup.
    """

    def __init__(self, answers: Mapping[str, Sequence[str] | Sequence[Sequence[str]]]) -> None:
        self._answers = {name.lower(): value for name, value in answers.items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        value = self._answers.get(host.lower(), [])
        if value and not isinstance(value[0], str):
            rounds = [list(answer) for answer in value]
            answer = rounds[min(self.calls.count(host), len(rounds)) - 1]
        else:
            answer = [str(address) for address in value]
        return [ipaddress.ip_address(address) for address in answer]


class LoopbackInternet(httpcore.AsyncNetworkBackend):
    """A stand-in for the internet under the fetch guard: chosen public addresses lead to
    loopback servers, loopback itself is reachable as usual, and nothing ever leaves the machine.

    ``sites`` maps ``(public address, port)`` to a loopback ``(host, port)``. ``connections``
    records every address the guard let through, in order; ``reads`` and ``bytes_read`` count
    the socket reads the fetcher made and what they returned.
    """

    def __init__(self, sites: Mapping[tuple[str, int], tuple[str, int]] | None = None) -> None:
        self.sites = dict(sites or {})
        self.connections: list[tuple[str, int]] = []
        self.reads = 0
        self.bytes_read = 0
        self._tcp = httpcore.AnyIOBackend()

    def publish(self, public_address: str, port: int, server: PageServer) -> None:
        """Make ``server`` answer at ``public_address:port``."""
        self.sites[(public_address, port)] = (server.host, server.port)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connections.append((host, port))
        target = self.sites.get((host, port))
        if target is None and ipaddress.ip_address(host).is_loopback:
            target = (host, port)
        if target is None:
            raise httpcore.ConnectError(f"{host}:{port} is not part of the test internet")
        stream = await self._tcp.connect_tcp(*target, timeout, local_address, socket_options)
        return _CountedStream(stream, self)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no unix sockets in the test internet")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _CountedStream(DelegatingStream):
    """A TCP stream of the test internet that counts its reads in ``internet``."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, internet: LoopbackInternet) -> None:
        super().__init__(inner)
        self._internet = internet

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await self._inner.read(max_bytes, timeout)
        self._internet.reads += 1
        self._internet.bytes_read += len(data)
        return data
