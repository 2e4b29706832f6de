"""The webhook endpoint: only Telegram gets in, and a stranger cannot make us buffer anything.

PTB's own webhook server reads the whole request body before it looks at the secret header, and
accepts bodies up to Tornado's 100 MB default (four such POSTs took the bot from 415 to 967 MB);
without a secret it accepts anything, including an update with a forged owner id. So Briefbot
serves the webhook itself, the way PTB documents for custom webhook servers: updates go into
``application.update_queue``; everything else of the Application stays as in polling mode.

- A secret is always set: ``[telegram] webhook_secret``, or one generated for this run (logged,
  redacted from logs, and registered with ``setWebhook``), so Telegram sends it on every POST.
- The secret header is compared (in constant time) in ``prepare()`` of a streaming handler,
  i.e. after the headers and before a single body byte is read; a wrong one gets 403 and the
  connection is closed with the body unread.
- Bodies over ``MAX_UPDATE_BYTES`` (Telegram's updates are a few kB) are refused from the
  Content-Length before reading, or at the limit when streamed without one (413).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.config import Config
from bot.telegram.logging_setup import install_redaction
from bot.telegram.runtime import BriefApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Largest update accepted; Telegram's are far below (a message with a long text ≈ 10 kB).
MAX_UPDATE_BYTES = 1_000_000
#: A client that starts a body must finish it in this time (slow-loris).
BODY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class _Endpoint:
    """What each request handler needs: where updates go and the secret to expect."""

    application: Application
    secret: str
    max_bytes: int


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one update as JSON, with the secret header."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, endpoint: _Endpoint) -> None:
        self.endpoint = endpoint
        self.body = bytearray()

    def prepare(self) -> None:
        supplied = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(supplied.encode(), self.endpoint.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(self.max_bytes)

    @property
    def max_bytes(self) -> int:
        return self.endpoint.max_bytes

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk
        if len(self.body) > self.max_bytes:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    async def post(self) -> None:
        application = self.endpoint.application
        try:
            update = Update.de_json(json.loads(self.body), application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from exc
        await application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, tornado.web.HTTPError):
            log.debug("webhook request from %s refused: %s", self.request.remote_ip, value)
        else:
            log.error("webhook request failed", exc_info=(typ, value, tb))  # type: ignore[arg-type]


class _QuietApplication(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: the bot logs what it does with updates."""


class WebhookServer:
    """A Tornado HTTP server for one webhook path, on ``listen:port``."""

    def __init__(
        self, application: Application, path: str, secret: str, *, generated: bool = False
    ) -> None:
        endpoint = _Endpoint(application, secret, MAX_UPDATE_BYTES)
        routes: list[Any] = [(rf"{path.rstrip('/')}/?", _UpdateHandler, {"endpoint": endpoint})]
        self._http = HTTPServer(
            _QuietApplication(routes),
            max_body_size=MAX_UPDATE_BYTES,
            body_timeout=BODY_TIMEOUT_SECONDS,
            idle_connection_timeout=60.0,
        )
        self.secret = secret
        # a generated secret is not in the config the log redaction was set up from
        self._undo_redaction = install_redaction([secret]) if generated else None

    def listen(self, listen: str, port: int) -> None:
        self._http.add_sockets(bind_sockets(port, address=listen))

    async def stop(self) -> None:
        self._http.stop()
        await self._http.close_all_connections()
        if self._undo_redaction is not None:
            self._undo_redaction()


def webhook_secret(config: Config) -> tuple[str, bool]:
    """The configured secret, or a new random one (and True: it was generated)."""
    configured = config.telegram.webhook_secret
    return (configured, False) if configured else (secrets.token_urlsafe(32), True)


async def start_webhook(application: BriefApplication, config: Config) -> WebhookServer:
    """Listen for updates at ``[telegram] webhook_url``'s path, then register the webhook
    (with its secret) with Telegram. The server is kept in ``bot_data.webhook`` for
    ``stop_webhook``."""
    tg = config.telegram
    assert tg.webhook_url is not None  # the config requires it in webhook mode
    secret, generated = webhook_secret(config)
    path = urlsplit(tg.webhook_url).path or "/"
    server = WebhookServer(application, path, secret, generated=generated)
    if generated:
        log.warning(
            "[telegram] webhook_secret is not set: generated a random secret for this run and "
            "registered it with setWebhook; updates without it are refused"
        )
    server.listen(tg.listen, tg.port)
    application.bot_data.webhook = server
    try:
        await application.bot.set_webhook(
            url=tg.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
    except BaseException:
        await stop_webhook(application)
        raise
    log.info("Webhook listening on %s:%d for %s", tg.listen, tg.port, tg.webhook_url)
    return server


async def stop_webhook(application: BriefApplication) -> None:
    """Close the webhook server if one runs (no-op in polling mode)."""
    server, application.bot_data.webhook = application.bot_data.webhook, None
    if server is not None:
        await server.stop()


def serve_until_stopped(lifecycle: AbstractAsyncContextManager[Any]) -> None:
    """``briefbot run`` in webhook mode: run ``lifecycle`` (``app.running``) on the current
    event loop until SIGINT or SIGTERM, then close the loop, as PTB's ``run_webhook`` does."""
    loop = asyncio.get_event_loop()

    async def serve() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with lifecycle:
            await stop.wait()

    try:
        loop.run_until_complete(serve())
    finally:
        loop.close()
