"""A small Telegram Bot API server on 127.0.0.1 for end-to-end tests.

The real python-telegram-bot Application talks to it over HTTP (``base_url=f"{url}/bot"``,
``base_file_url=f"{url}/file/bot"``), so the whole stack — request encoding, rate limiter,
retries, handlers — runs as in production. The server behaves like Telegram where tests depend
on it: long-polling ``getUpdates`` with ``offset`` confirmation, Telegram-shaped errors (429 with
``retry_after``, 400 "can't parse entities", "message is too long", "message is not modified",
chat migration), a 401 for a wrong token, and files served under ``/file/bot<token>/``.

It runs either in the test's event loop (``async with BotApiServer() as server``) or in a
background thread with its own loop (``start_in_thread()``), e.g. for a ``briefbot run``
subprocess. All state sits behind one lock, so tests may inspect it and push updates from any
thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.bot_api_objects import (
    ANONYMOUS_ADMIN_ID,
    ApiError,
    RecordedCall,
    SentMessage,
    UploadedFile,
    channel_origin,
    decode_form_value,
    detect_entities,
)
from tests.support.bot_api_world import TelegramWorld

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "FILE_DOWNLOAD",
    "WEBHOOK_DELIVERY",
    "ApiError",
    "BotApiServer",
    "RecordedCall",
    "SentMessage",
    "UploadedFile",
    "channel_origin",
    "detect_entities",
]

DEFAULT_TOKEN = "123456789:AAbriefbot-loopback-test-token"
BOT_USERNAME = "briefbot_test_bot"
WEBHOOK_DELIVERY = "webhookDelivery"  # pseudo-method under which webhook POSTs are recorded
FILE_DOWNLOAD = "downloadFile"  # pseudo-method for GET /file/bot<token>/<path>


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None
    drop: bool = False
    page: str | None = None  # an HTML error page instead of JSON; "{path}" echoes the path


Handler = Callable[[dict[str, Any]], Any]


class BotApiServer(TelegramWorld):
    """Serves the Bot API methods Briefbot uses over HTTP and records every call."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        max_poll_timeout: float = 30.0,
    ) -> None:
        super().__init__(token, bot_username)
        self.max_poll_timeout = max_poll_timeout
        self._faults: dict[str, deque[_Fault]] = {}
        self._poll_generation = 0
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._next_route: tuple[str, ...] | None = None
        self._routes: dict[int, tuple[str, ...]] = {}
        self.base_url = ""
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port in the running loop; returns ``base_url``."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return self.base_url

    async def stop(self) -> None:
        """Answer pending long polls and close the listener."""
        self._closing = True
        self._wake()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self) -> str:
        """Run the server in a daemon thread with its own event loop; returns ``base_url``."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="bot-api-server", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self.base_url

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with :meth:`start_in_thread`."""
        if self._thread is None or self._loop is None:
            return
        self._closing = True
        self._loop.call_soon_threadsafe(self._wake)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> BotApiServer:
        self.start_in_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_thread()

    def route_updates(self, *targets: str) -> None:
        """Deliver the updates pushed from now on by webhook to ``targets`` instead of the URL
        given to setWebhook (several replicas behind one load balancer): one target gets each
        update; with several, every one gets the same update at once (a redelivery racing the
        first). No targets: back to setWebhook's URL."""
        with self._lock:
            self._next_route = tuple(targets) or None

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:  # re-entrant: the route is known before the sender can see the update
            update = super()._enqueue(kind, payload)
            if self._next_route is not None:
                self._routes[update["update_id"]] = self._next_route
        return update

    def _wake(self) -> None:
        """Wake long polls and the webhook sender (always runs in the server's loop)."""
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = asyncio.Event()

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with suppress(RuntimeError):  # loop shutting down
                loop.call_soon_threadsafe(self._wake)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: decode_form_value(key, value) for key, value in request.query.items()
        }
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        value.filename, value.file.read(), value.content_type
                    )
                else:
                    params[key] = decode_form_value(key, str(value))
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        token = request.match_info["token"]
        name, handler = self._handlers.get(
            request.match_info["method"].lower(), (request.match_info["method"], None)
        )
        try:
            params = await self._read_params(request)
        except (ValueError, aiohttp.ClientError):
            params = {}
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            fault = self._take_fault(name)
            if fault is not None and fault.drop:
                self._record(name, params, started, 0, token)
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            if fault is not None and fault.page is not None:
                self._record(name, params, started, fault.status, token)
                page = fault.page.replace("{path}", request.path)
                return web.Response(status=fault.status, text=page, content_type="text/html")
            if fault is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
            if isinstance(result, Awaitable):
                result = await result
        except ApiError as error:
            self._record(name, params, started, error.status, token)
            return web.json_response(error.body(), status=error.status)
        self._record(name, params, started, 200, token)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token, path = request.match_info["token"], request.match_info["path"]
        params = {"file_path": path}
        with self._lock:
            stored = next((f for p, f in self._files.values() if p == path), None)
        status = 401 if token != self.token else 404 if stored is None else 200
        self._record(FILE_DOWNLOAD, params, time.monotonic(), status, token)
        if stored is None or status != 200:
            return web.json_response(ApiError(status).body(), status=status)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` get a Telegram-shaped error instead."""
        parameters = {"retry_after": retry_after} if status == 429 else None
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else ApiError(status).description
            )
        self._add_faults(method, _Fault(status, description, parameters), times)

    def answer_page_next(self, method: str, status: int, page: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get an HTML page with ``status``, as a proxy
        in front of the Bot API answers (``{path}`` in ``page`` echoes the request path)."""
        self._add_faults(method, _Fault(status, "", None, page=page), times)

    def drop_connection_next(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` have their connection closed unanswered."""
        self._add_faults(method, _Fault(0, "", None, drop=True), times)

    def _add_faults(self, method: str, fault: _Fault, times: int) -> None:
        name = self._handlers.get(method.lower(), (method, None))[0]
        with self._lock:
            self._faults.setdefault(name, deque()).extend([fault] * times)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _method_table(self) -> dict[str, Handler]:
        chat_checked = ("sendChatAction", "leaveChat")
        always_true = (
            "logOut",
            "close",
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setChatMenuButton",
            "setMyDefaultAdministratorRights",
            "pinChatMessage",
            "unpinChatMessage",
        )
        table: dict[str, Handler] = dict.fromkeys(chat_checked, self._chat_ok)
        table.update(dict.fromkeys(always_true, _true))
        table.update(
            {
                "getMe": lambda p: {
                    **self._bot_user(),
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                    "can_connect_to_business": False,
                    "has_main_web_app": False,
                },
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._webhook_info,
                "setMyCommands": self._set_commands,
                "deleteMyCommands": self._delete_commands,
                "getMyCommands": lambda p: self.commands(
                    p.get("scope"), p.get("language_code", "")
                ),
                "sendMessage": self._send_message,
                "editMessageText": self._edit_text,
                "editMessageReplyMarkup": self._edit_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback,
                "sendDocument": self._send_document,
                "getChatMember": self._get_member,
                "getChatAdministrators": self._get_admins,
                "getChat": self._get_chat,
                "getFile": self._get_file,
                "answerInlineQuery": self._answer_inline,
                "setMessageReaction": self._set_reaction,
            }
        )
        return table

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._lock:
            self._poll_generation += 1
            generation = self._poll_generation
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
        self._wake()  # an older long poll is now superseded
        while True:
            with self._lock:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                batch = [u for u in self._updates if u["update_id"] >= offset][:limit]
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0 or self._wakeup is None:
                return batch
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    async def _deliver_webhooks(self) -> None:
        """POST queued updates, in order, to the webhook while one is set (as Telegram does)."""
        async with aiohttp.ClientSession() as session:
            while not self._closing:
                with self._lock:
                    hook = self._webhook
                    update = self._updates[0] if hook and self._updates else None
                    route = self._routes.get(update["update_id"]) if update else None
                wakeup = self._wakeup
                if hook is None or update is None:
                    if wakeup is not None:
                        with suppress(TimeoutError):
                            await asyncio.wait_for(wakeup.wait(), 1.0)
                    continue
                urls = route or (hook["url"],)
                statuses = await asyncio.gather(
                    *(_post_update(session, {**hook, "url": url}, update) for url in urls)
                )
                for url, status in zip(urls, statuses, strict=True):
                    self._record(
                        WEBHOOK_DELIVERY,
                        {"update": update, "url": url},
                        time.monotonic(),
                        status,
                        self.token,
                    )
                if all(status == 200 for status in statuses):
                    with self._lock:
                        self._updates = [u for u in self._updates if u is not update]
                else:
                    await asyncio.sleep(0.2)


def _true(params: dict[str, Any]) -> bool:
    return True


async def _post_update(
    session: aiohttp.ClientSession, hook: dict[str, Any], update: dict[str, Any]
) -> int:
    headers = {}
    if hook.get("secret_token"):
        headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
    try:
        async with session.post(
            hook["url"], json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0
