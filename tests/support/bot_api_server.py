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
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.telegram_html import MESSAGE_LIMIT, TelegramHtmlError, parse_telegram_html

DEFAULT_TOKEN = "123456789:AAbriefbot-loopback-test-token"
BOT_USERNAME = "briefbot_test_bot"
ANONYMOUS_ADMIN_ID = 1087968824  # Telegram's @GroupAnonymousBot, "from" of anonymous admins
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots may download files up to 20 MB
WEBHOOK_DELIVERY = "webhookDelivery"  # pseudo-method under which webhook POSTs are recorded
FILE_DOWNLOAD = "downloadFile"  # pseudo-method for GET /file/bot<token>/<path>

# Form fields that are strings even when they look like JSON (PTB sends other values JSON-dumped).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "file_id",
        "action",
        "language_code",
        "url",
        "secret_token",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "emoji",
    }
)
_JSON_START = re.compile(r"[\[{\-0-9]|true$|false$|null$")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_MEMBER_STATUSES = ("creator", "administrator", "member", "left", "kicked")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API request as the server received it (``status`` is what it answered)."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    token: str = ""


@dataclass(frozen=True)
class UploadedFile:
    """A file a client uploaded (multipart) or a test registered for download."""

    file_name: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass
class SentMessage:
    """A message the bot sent, in its latest state (edits applied)."""

    chat_id: int
    message_id: int
    text: str | None  # as sent (raw HTML when parse_mode is HTML)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: UploadedFile | None = None
    deleted: bool = False
    edits: int = 0
    message: dict[str, Any] = field(default_factory=dict)  # Telegram-shaped, visible text


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None
    drop: bool = False


class ApiError(Exception):
    """A Telegram-shaped error answer."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _decode_form_value(name: str, value: str) -> Any:
    """PTB sends strings as-is and everything else JSON-dumped; undo that."""
    if name in _STRING_PARAMS or not _JSON_START.match(value):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram would attach to a user's text: bot commands, URLs and @mentions,
    with offsets in UTF-16 units. PTB's CommandHandler needs the bot_command entity."""
    spans: list[tuple[int, int, str]] = []
    for match in _URL.finditer(text):
        end = match.start() + len(match.group().rstrip(".,;:!?)'\""))
        spans.append((match.start(), end, "url"))
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e, _ in spans):
                spans.append((match.start(), match.end(), kind))
    return [
        {"type": kind, "offset": _utf16(text[:start]), "length": _utf16(text[start:end])}
        for start, end, kind in sorted(spans)
    ]


def channel_origin(
    chat_id: int = -1001000000001, title: str = "News Channel", message_id: int = 1
) -> dict[str, Any]:
    """A ``forward_origin`` for a post forwarded from a channel (Bot API 7+, PTB 22)."""
    return {
        "type": "channel",
        "date": int(time.time()) - 60,
        "chat": {"id": chat_id, "type": "channel", "title": title},
        "message_id": message_id,
    }


Handler = Callable[[dict[str, Any]], Any]


class BotApiServer:
    """Serves the Bot API methods Briefbot uses and records every call."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        max_poll_timeout: float = 30.0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
        self.max_poll_timeout = max_poll_timeout
        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._files: dict[str, tuple[str, UploadedFile]] = {}
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._webhook: dict[str, Any] | None = None
        self._faults: dict[str, deque[_Fault]] = {}
        self._migrated: dict[int, int] = {}
        self._poll_generation = 0
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    # -- lifecycle ----------------------------------------------------------------------------

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

    # -- HTTP ---------------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: _decode_form_value(key, value) for key, value in request.query.items()
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
                    params[key] = _decode_form_value(key, str(value))
        return params

    def _record(
        self, method: str, params: dict[str, Any], started: float, status: int, token: str
    ) -> None:
        with self._lock:
            self._calls.append(RecordedCall(method, params, started, status, token))

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
            return web.json_response(
                ApiError(status, _DEFAULT_DESCRIPTIONS.get(status, "Unauthorized")).body(),
                status=status,
            )
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # -- fault injection ----------------------------------------------------------------------

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
                else _DEFAULT_DESCRIPTIONS.get(status, "Error")
            )
        self._add_faults(method, _Fault(status, description, parameters), times)

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

    # -- inspection ---------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded calls, oldest first, optionally of one method (case-insensitive)."""
        with self._lock:
            calls = list(self._calls)
        if method is None:
            return calls
        return [c for c in calls if c.method.lower() == method.lower()]

    def _find(
        self, method: str, predicate: Callable[[RecordedCall], bool] | None, since: float | None
    ) -> RecordedCall | None:
        for call in self.calls(method):
            if (since is None or call.time >= since) and (predicate is None or predicate(call)):
                return call
        return None

    def _timeout_error(self, method: str, timeout: float) -> AssertionError:
        recent = ", ".join(f"{c.method}:{c.status}" for c in self.calls()[-15:])
        return AssertionError(f"no matching {method} call within {timeout}s; recent: {recent}")

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the documented test-helper signature
        *,
        since: float | None = None,
    ) -> RecordedCall:
        """The first call of ``method`` matching ``predicate`` (received at or after ``since``,
        a ``time.monotonic()`` value), waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        while (found := self._find(method, predicate, since)) is None:
            if time.monotonic() > deadline:
                raise self._timeout_error(method, timeout)
            await asyncio.sleep(0.02)
        return found

    def wait_for_blocking(
        self,
        method: str,
        predicate: Callable[[RecordedCall], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: float | None = None,
    ) -> RecordedCall:
        """:meth:`wait_for` for synchronous tests (server running in its thread)."""
        deadline = time.monotonic() + timeout
        while (found := self._find(method, predicate, since)) is None:
            if time.monotonic() > deadline:
                raise self._timeout_error(method, timeout)
            time.sleep(0.02)
        return found

    def sent_messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """Messages the bot sent (sendMessage, sendDocument), oldest first, edits applied."""
        with self._lock:
            sent = list(self._sent.values())
        return [
            m
            for m in sent
            if (chat_id is None or m.chat_id == chat_id) and (include_deleted or not m.deleted)
        ]

    def message_text(self, chat_id: int, message_id: int) -> str | None:
        """Latest text (or caption) of a bot message as sent, raw HTML included."""
        with self._lock:
            sent = self._sent.get((chat_id, message_id))
        return None if sent is None else sent.text

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Any known message (user's or bot's) in Telegram's shape."""
        with self._lock:
            return self._messages.get((chat_id, message_id))

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[Any]:
        """Commands registered with setMyCommands for a scope and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        with self._lock:
            return list(self._commands.get(key, []))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (or delivered to the webhook)."""
        with self._lock:
            return list(self._updates)

    # -- test setup ---------------------------------------------------------------------------

    def add_chat(
        self, chat_id: int, chat_type: str | None = None, title: str | None = None
    ) -> dict[str, Any]:
        """Register (or return) a chat; the type defaults from the id's shape like Telegram's."""
        with self._lock:
            known = self._chats.get(chat_id)
            if known is not None and chat_type in (None, known["type"]):
                return known
            kind = chat_type or (
                "private"
                if chat_id > 0
                else "supergroup"
                if str(chat_id).startswith("-100")
                else "group"
            )
            chat: dict[str, Any] = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = f"User {chat_id}"
            else:
                chat["title"] = title or f"Test {kind} {chat_id}"
            self._chats[chat_id] = chat
            return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"status must be one of {_MEMBER_STATUSES}")
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def register_file(
        self, content: bytes, file_name: str = "file.txt", mime_type: str = "text/plain"
    ) -> dict[str, Any]:
        """Make ``content`` downloadable via getFile; returns a Telegram Document dict."""
        with self._lock:
            number = next(self._file_ids)
            file_id = f"BQACAgI-test-file-{number}"
            path = f"documents/file_{number}{_extension(file_name)}"
            self._files[file_id] = (path, UploadedFile(file_name, content, mime_type))
        return {
            "file_id": file_id,
            "file_unique_id": f"uniq{number}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }

    def _user(self, user_id: int, language_code: str | None = None) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(user_id)
            if user is None or (language_code and user.get("language_code") != language_code):
                user = {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": f"User {user_id}",
                    "username": f"user{user_id}",
                }
                if language_code:
                    user["language_code"] = language_code
                self._users[user_id] = user
            return user

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Briefbot Test",
            "username": self.bot_username,
        }

    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
            message = {
                "message_id": next(counter),
                "date": int(time.time()),
                "chat": chat,
                "from": sender,
                **{k: v for k, v in fields.items() if v is not None},
            }
            self._messages[(chat["id"], message["message_id"])] = message
            return message

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self._updates.append(update)
        self._notify()
        return update

    # -- injecting updates --------------------------------------------------------------------

    def push_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat_type: str | None = None,
        language_code: str | None = "en",
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | int | None = None,
        forward_origin: dict[str, Any] | None = None,
        caption: str | None = None,
        document: UploadedFile | tuple[str, str, bytes] | None = None,
        sender_chat: dict[str, Any] | int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_title: str | None = None,
    ) -> dict[str, Any]:
        """Queue a user's message as an update; returns the message with its message_id.

        ``document`` is (file_name, mime_type, content) and becomes downloadable;
        ``sender_chat=chat_id`` makes an anonymous-admin message (sent "as the group");
        ``migrate_to_chat_id`` produces the group->supergroup service messages and makes the
        old chat id answer "group chat was upgraded" from then on.
        """
        chat = self.add_chat(chat_id, chat_type, chat_title)
        sender = self._user(user_id, language_code)
        fields: dict[str, Any] = {"text": text, "caption": caption}
        if text is not None:
            fields["entities"] = detect_entities(text) if entities is None else entities
        if caption is not None:
            fields["caption_entities"] = detect_entities(caption)
        if isinstance(reply_to, int):
            reply_to = self.message(chat_id, reply_to) or {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": chat,
            }
        fields["reply_to_message"] = reply_to
        fields["forward_origin"] = forward_origin
        if document is not None:
            spec = document if isinstance(document, UploadedFile) else UploadedFile(*_doc(document))
            fields["document"] = self.register_file(spec.content, spec.file_name, spec.mime_type)
        if sender_chat is not None:
            fields["sender_chat"] = (
                self.add_chat(sender_chat) if isinstance(sender_chat, int) else sender_chat
            )
            sender = {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
        if migrate_to_chat_id is not None:
            fields["migrate_to_chat_id"] = migrate_to_chat_id
        message = self._new_message(chat, sender, fields)
        self._enqueue("message", message)
        if migrate_to_chat_id is not None:
            self._migrate(chat, migrate_to_chat_id, sender)
        return message

    def _migrate(self, old: dict[str, Any], new_id: int, sender: dict[str, Any]) -> None:
        with self._lock:
            self._migrated[old["id"]] = new_id
            for (chat, user), status in list(self._members.items()):
                if chat == old["id"]:
                    self._members.setdefault((new_id, user), status)
        new = self.add_chat(new_id, "supergroup", old.get("title"))
        self._enqueue(
            "message", self._new_message(new, sender, {"migrate_from_chat_id": old["id"]})
        )

    def push_callback_query(
        self, chat_id: int, user_id: int, data: str, message_id: int, *, language_code: str = "en"
    ) -> dict[str, Any]:
        """Queue a button press on message ``message_id``; returns the callback query."""
        chat = self.add_chat(chat_id)
        message = self.message(chat_id, message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "text": "…",
        }
        with self._lock:
            query_id = f"cbq{next(self._callback_ids)}"
            self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, language_code),
            "chat_instance": f"instance{chat_id}",
            "data": data,
            "message": message,
        }
        self._enqueue("callback_query", query)
        return query

    def push_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (an update_id is assigned if missing)."""
        with self._lock:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
        self._notify()
        return update

    # -- Bot API methods ----------------------------------------------------------------------

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
            }
        )
        return table

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a call addresses, with Telegram's errors for unknown or migrated chats."""
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(
                400,
                "Bad Request: chat_id is empty"
                if chat_id is None
                else "Bad Request: chat not found",
            )
        with self._lock:
            if chat_id in self._migrated:
                raise ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self._migrated[chat_id]},
                )
            chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _chat_ok(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

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

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            return self._delete_webhook(params)
        if not re.match(r"https?://", url):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        with self._lock:
            self._webhook = {"url": url, "secret_token": params.get("secret_token")}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        self._notify()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            url = self._webhook["url"] if self._webhook else ""
            return {
                "url": url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    async def _deliver_webhooks(self) -> None:
        """POST queued updates, in order, to the webhook while one is set (as Telegram does)."""
        async with aiohttp.ClientSession() as session:
            while not self._closing:
                with self._lock:
                    hook = self._webhook
                    update = self._updates[0] if hook and self._updates else None
                wakeup = self._wakeup
                if hook is None or update is None:
                    if wakeup is not None:
                        with suppress(TimeoutError):
                            await asyncio.wait_for(wakeup.wait(), 1.0)
                    continue
                status = await _post_update(session, hook, update)
                self._record(
                    WEBHOOK_DELIVERY,
                    {"update": update, "url": hook["url"]},
                    time.monotonic(),
                    status,
                    self.token,
                )
                if status == 200:
                    with self._lock:
                        self._updates = [u for u in self._updates if u is not update]
                else:
                    await asyncio.sleep(0.2)

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (
            json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True),
            params.get("language_code", ""),
        )
        with self._lock:
            self._commands[key] = commands
        return True

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        key = (
            json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True),
            params.get("language_code", ""),
        )
        with self._lock:
            self._commands.pop(key, None)
        return True

    @staticmethod
    def _checked_text(text: Any, parse_mode: Any, limit: int, *, empty: str, too_long: str) -> str:
        """Visible text after parsing, with Telegram's 400s for bad HTML, empty, too long."""
        if not isinstance(text, str):
            raise ApiError(400, empty)
        visible = text
        if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
            try:
                visible = parse_telegram_html(text)
            except TelegramHtmlError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        if not visible.strip():
            raise ApiError(400, empty)
        if _utf16(visible) > limit:
            raise ApiError(400, too_long)
        return visible.strip()

    @staticmethod
    def _checked_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if (
                    data is not None
                    and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT
                ):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _store_sent(
        self,
        chat: dict[str, Any],
        fields: dict[str, Any],
        raw_text: str | None,
        params: dict[str, Any],
        document: UploadedFile | None = None,
    ) -> dict[str, Any]:
        markup = self._checked_markup(params.get("reply_markup"))
        reply_to = params.get("reply_to_message_id")
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        if reply_to is not None:
            fields["reply_to_message"] = self.message(chat["id"], int(reply_to))
        fields["reply_markup"] = markup
        message = self._new_message(chat, self._bot_user(), fields)
        with self._lock:
            self._sent[(chat["id"], message["message_id"])] = SentMessage(
                chat["id"],
                message["message_id"],
                raw_text,
                params.get("parse_mode"),
                markup,
                document,
                message=message,
            )
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        visible = self._checked_text(
            params.get("text"),
            params.get("parse_mode"),
            MESSAGE_LIMIT,
            empty="Bad Request: message text is empty",
            too_long="Bad Request: message is too long",
        )
        return self._store_sent(chat, {"text": visible}, params["text"], params)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        upload = params.get("document")
        if isinstance(upload, str):
            with self._lock:
                upload = self._files.get(upload, (None, None))[1]
        if not isinstance(upload, UploadedFile):
            raise ApiError(400, "Bad Request: there is no document in the request")
        fields: dict[str, Any] = {
            "document": self.register_file(upload.content, upload.file_name, upload.mime_type)
        }
        caption = params.get("caption")
        if caption:
            fields["caption"] = self._checked_text(
                caption,
                params.get("parse_mode"),
                CAPTION_LIMIT,
                empty="Bad Request: message caption is empty",
                too_long="Bad Request: message caption is too long",
            )
        return self._store_sent(chat, fields, caption, params, upload)

    def _editable(self, params: dict[str, Any], missing: str) -> SentMessage:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        with self._lock:
            sent = self._sent.get(key)
            if sent is None and key in self._messages:
                raise ApiError(400, "Bad Request: message can't be edited")
        if sent is None or sent.deleted:
            raise ApiError(400, missing)
        return sent

    def _edit_text(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._editable(params, "Bad Request: message to edit not found")
        visible = self._checked_text(
            params.get("text"),
            params.get("parse_mode"),
            MESSAGE_LIMIT,
            empty="Bad Request: message text is empty",
            too_long="Bad Request: message is too long",
        )
        markup = self._checked_markup(params.get("reply_markup"))
        if (params["text"], params.get("parse_mode"), markup) == (
            sent.text,
            sent.parse_mode,
            sent.reply_markup,
        ):
            raise ApiError(400, _NOT_MODIFIED)
        with self._lock:
            sent.text, sent.parse_mode, sent.reply_markup = (
                params["text"],
                params.get("parse_mode"),
                markup,
            )
            sent.edits += 1
            sent.message = {**sent.message, "text": visible, "edit_date": int(time.time())}
            sent.message = {k: v for k, v in sent.message.items() if k != "reply_markup"}
            if markup is not None:
                sent.message["reply_markup"] = markup
            self._messages[(sent.chat_id, sent.message_id)] = sent.message
            return sent.message

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._editable(params, "Bad Request: message to edit not found")
        markup = self._checked_markup(params.get("reply_markup"))
        if markup == sent.reply_markup or (markup is None and not sent.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        with self._lock:
            sent.reply_markup = markup
            sent.edits += 1
            sent.message = {k: v for k, v in sent.message.items() if k != "reply_markup"}
            if markup is not None:
                sent.message["reply_markup"] = markup
            self._messages[(sent.chat_id, sent.message_id)] = sent.message
            return sent.message

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        with self._lock:
            if key not in self._messages:
                raise ApiError(400, "Bad Request: message to delete not found")
            del self._messages[key]
            if key in self._sent:
                self._sent[key].deleted = True
        return True

    def _answer_callback(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._lock:
            known = query_id in self._open_callbacks
            self._open_callbacks.discard(query_id)
        if not known:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        with self._lock:
            status = self._members.get((chat_id, user_id))
        if status is None:
            status = "administrator" if user_id == self.bot_id else "member"
        user = self._bot_user() if user_id == self.bot_id else self._user(user_id)
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False})
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _get_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        return self._member(chat["id"], user_id)

    def _get_admins(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        with self._lock:
            admins = [
                user
                for (chat_id, user), status in self._members.items()
                if chat_id == chat["id"] and status in ("creator", "administrator")
            ]
        return [self._member(chat["id"], user) for user in admins]

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        gifts = (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(gifts, False),
        }

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        with self._lock:
            stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, upload = stored
        if len(upload.content) > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"uniq-{file_id}",
            "file_size": len(upload.content),
            "file_path": path,
        }


_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def _true(params: dict[str, Any]) -> bool:
    return True


def _extension(file_name: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", file_name)
    return match.group() if match else ""


def _doc(spec: tuple[str, str, bytes]) -> tuple[str, bytes, str]:
    """(file_name, mime_type, content) -> UploadedFile's field order."""
    file_name, mime_type, content = spec
    return file_name, content, mime_type


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
