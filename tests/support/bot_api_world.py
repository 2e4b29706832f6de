"""The Telegram side of the loopback Bot API: chats, users, messages, members, files, the update
queue, and the synchronous Bot API methods that act on them.

:class:`tests.support.bot_api_server.BotApiServer` puts HTTP in front of this; tests call the
public methods here (``push_message``, ``set_member``, ``sent_messages``, ``wait_for`` …) from any
thread, because every piece of state sits behind one lock.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.support.bot_api_objects import (
    ANONYMOUS_ADMIN_ID,
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    CHANNEL_BOT_ID,
    DOWNLOAD_LIMIT,
    MEMBER_STATUSES,
    NOT_MODIFIED,
    ApiError,
    RecordedCall,
    SentMessage,
    UploadedFile,
    chat_full_info,
    chat_member,
    checked_markup,
    checked_message_text,
    checked_text,
    commands_key,
    detect_entities,
)
from tests.support.telegram_html import MESSAGE_LIMIT

DEFAULT_USER_ID = 1001
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
INLINE_RESULTS_LIMIT = 50
#: The emoji a bot may react with (Telegram's standard reactions).
STANDARD_REACTIONS = frozenset(
    (
        "👍",
        "👎",
        "❤",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "❤\u200d🔥",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "🖕",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👨\u200d💻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷\u200d♂",
        "🤷",
        "🤷\u200d♀",
        "😡",
    )
)
TELEGRAM_SERVICE_ID = 777000  # "from" of automatic forwards into discussion groups


class TelegramWorld:
    """Everything Telegram knows about the test bot, and the methods that change it."""

    def __init__(self, token: str, bot_username: str) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
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
        self._migrated: dict[int, int] = {}
        self._inline_ids = itertools.count(1)
        self._open_inline: set[str] = set()
        self._inline_answers: dict[str, dict[str, Any]] = {}
        #: Messages posted from inline results with a keyboard, by inline_message_id.
        self._inline_messages: dict[str, dict[str, Any]] = {}
        self._inline_message_ids = itertools.count(1)
        self._linked: dict[int, int] = {}
        self._reactions: dict[tuple[int, int], list[str]] = {}
        self._blocked: dict[int, str] = {}

    def _notify(self) -> None:
        """Called after updates were queued; the server wakes its long polls here."""

    def _record(
        self, method: str, params: dict[str, Any], started: float, status: int, token: str
    ) -> None:
        with self._lock:
            self._calls.append(RecordedCall(method, params, started, status, token))

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
        key = commands_key({"scope": scope, "language_code": language_code})
        with self._lock:
            return list(self._commands.get(key, []))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (or delivered to the webhook)."""
        with self._lock:
            return list(self._updates)

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
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {MEMBER_STATUSES}")
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

    def push_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
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

        The sender defaults to the chat's own user in a private chat, else DEFAULT_USER_ID.
        ``document`` is (file_name, mime_type, content) and becomes downloadable;
        ``sender_chat=chat_id`` makes an anonymous-admin message (sent "as the group"), and a
        channel's chat (``add_chat(id, "channel")``) a message a user sent as that channel;
        ``migrate_to_chat_id`` produces the group->supergroup service messages and makes the
        old chat id answer "group chat was upgraded" from then on.
        """
        chat = self.add_chat(chat_id, chat_type, chat_title)
        if user_id is None:  # in a private chat the user is the chat
            user_id = chat_id if chat["type"] == "private" else DEFAULT_USER_ID
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
            channel = fields["sender_chat"]["type"] == "channel"
            sender = {
                "id": CHANNEL_BOT_ID if channel else ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Channel" if channel else "Group",
                "username": "Channel_Bot" if channel else "GroupAnonymousBot",
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

    def push_edit(
        self,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queue an ``edited_message`` update: a user changed the text (or caption) of one of
        their messages; returns the edited message. A message Telegram does not know is
        edited as a fresh one in that chat (an edit of something the bot never saw)."""
        chat = self.add_chat(chat_id)
        with self._lock:
            original = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id,
                "date": int(time.time()) - 60,
                "chat": chat,
                "from": self._user(chat_id if chat["type"] == "private" else DEFAULT_USER_ID),
            }
            edited = {
                k: v
                for k, v in original.items()
                if k not in ("text", "entities", "caption", "caption_entities")
            }
            edited.update(_text_fields(text, caption, entities))
            edited["edit_date"] = int(time.time())
            self._messages[(chat_id, message_id)] = edited
        self._enqueue("edited_message", edited)
        return edited

    def push_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (an update_id is assigned if missing)."""
        with self._lock:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
        self._notify()
        return update

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

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = commands_key(params)
        with self._lock:
            self._commands[key] = commands
        return True

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        key = commands_key(params)
        with self._lock:
            self._commands.pop(key, None)
        return True

    def _store_sent(
        self,
        chat: dict[str, Any],
        fields: dict[str, Any],
        raw_text: str | None,
        params: dict[str, Any],
        document: UploadedFile | None = None,
    ) -> dict[str, Any]:
        markup = checked_markup(params.get("reply_markup"))
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

    def _postable(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a message goes to; 403 when it blocked or removed the bot (``block``)."""
        chat = self._chat(params)
        with self._lock:
            refusal = self._blocked.get(chat["id"])
        if refusal is not None:
            raise ApiError(403, refusal)
        return chat

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._postable(params)
        visible = checked_message_text(params)
        return self._store_sent(chat, {"text": visible}, params["text"], params)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._postable(params)
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
            fields["caption"] = checked_text(
                caption, params.get("parse_mode"), CAPTION_LIMIT, what="caption"
            )
        return self._store_sent(chat, fields, caption, params, upload)

    def _editable(self, params: dict[str, Any]) -> SentMessage:
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        with self._lock:
            sent = self._sent.get(key)
            if sent is None and key in self._messages:
                raise ApiError(400, "Bad Request: message can't be edited")
        if sent is None or sent.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return sent

    def _edit_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id") is not None:
            return self._edit_inline_text(params)
        sent = self._editable(params)
        visible = checked_message_text(params)
        markup = checked_markup(params.get("reply_markup"))
        new_state = (params["text"], params.get("parse_mode"), markup)
        if new_state == (sent.text, sent.parse_mode, sent.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        with self._lock:
            sent.text, sent.parse_mode = params["text"], params.get("parse_mode")
            return self._apply_edit(sent, markup, {"text": visible})

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._editable(params)
        markup = checked_markup(params.get("reply_markup"))
        if (markup or None) == (sent.reply_markup or None):
            raise ApiError(400, NOT_MODIFIED)
        with self._lock:
            return self._apply_edit(sent, markup, {})

    def _apply_edit(
        self, sent: SentMessage, markup: dict[str, Any] | None, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Store an edit: new fields, new (or no) keyboard, an edit_date. Caller holds the lock."""
        sent.reply_markup = markup
        sent.edits += 1
        message = {k: v for k, v in sent.message.items() if k != "reply_markup"}
        message.update(fields, edit_date=int(time.time()))
        if markup is not None:
            message["reply_markup"] = markup
        sent.message = message
        self._messages[(sent.chat_id, sent.message_id)] = message
        return message

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
        return chat_member(status, user)

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
        info = chat_full_info(self._chat(params))
        with self._lock:
            linked = self._linked.get(info["id"])
        if linked is not None:  # a channel and its discussion group point at each other
            info["linked_chat_id"] = linked
        return info

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

    # -- inline mode -----------------------------------------------------------------------

    def push_inline_query(
        self, user_id: int, query: str, *, language_code: str | None = "en"
    ) -> dict[str, Any]:
        """Queue ``@bot <query>`` typed by ``user_id`` in some chat; returns the inline query."""
        with self._lock:
            query_id = f"iq{next(self._inline_ids)}"
            self._open_inline.add(query_id)
        inline_query = {
            "id": query_id,
            "from": self._user(user_id, language_code),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        self._enqueue("inline_query", inline_query)
        return inline_query

    def push_chosen_inline_result(self, user_id: int, result_id: str, query: str) -> dict[str, Any]:
        """Queue the feedback that ``user_id`` posted inline result ``result_id``. A result of
        the bot's latest answer that carries an inline keyboard is posted as an inline message
        the bot can edit: the feedback then has its ``inline_message_id``, as on Telegram."""
        chosen = {"result_id": result_id, "from": self._user(user_id), "query": query}
        with self._lock:
            results = [
                r
                for answer in reversed(self._inline_answers.values())
                for r in answer.get("results", [])
                if str(r.get("id")) == result_id
            ]
            if results and results[0].get("reply_markup"):
                content = results[0].get("input_message_content") or {}
                inline_id = f"im{next(self._inline_message_ids)}"
                self._inline_messages[inline_id] = {
                    "text": content.get("message_text"),
                    "parse_mode": content.get("parse_mode"),
                    "reply_markup": results[0]["reply_markup"],
                    "edits": 0,
                }
                chosen["inline_message_id"] = inline_id
        self._enqueue("chosen_inline_result", chosen)
        return chosen

    def inline_message(self, inline_message_id: str) -> dict[str, Any] | None:
        """A message posted from an inline result: ``text`` (as sent), ``parse_mode``,
        ``reply_markup`` and the number of ``edits``."""
        with self._lock:
            found = self._inline_messages.get(inline_message_id)
            return dict(found) if found is not None else None

    def _edit_inline_text(self, params: dict[str, Any]) -> bool:
        """editMessageText with ``inline_message_id``: Telegram answers True, not a message."""
        inline_id = str(params["inline_message_id"])
        checked_message_text(params)
        markup = checked_markup(params.get("reply_markup"))
        with self._lock:
            message = self._inline_messages.get(inline_id)
            if message is None:
                raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
            new_state = (params["text"], params.get("parse_mode"), markup)
            if new_state == (message["text"], message["parse_mode"], message["reply_markup"]):
                raise ApiError(400, NOT_MODIFIED)
            message.update(text=params["text"], parse_mode=params.get("parse_mode"))
            message.update(reply_markup=markup, edits=message["edits"] + 1)
        return True

    def inline_answer(self, query_id: str) -> dict[str, Any] | None:
        """What the bot answered to an inline query (answerInlineQuery's parameters)."""
        with self._lock:
            return self._inline_answers.get(query_id)

    def _answer_inline(self, params: dict[str, Any]) -> bool:
        """answerInlineQuery: once per open query, at most 50 results with unique ids of at
        most 64 bytes, valid message texts, a /start payload of [A-Za-z0-9_-]{1,64}."""
        query_id = str(params.get("inline_query_id"))
        results = params.get("results")
        if not isinstance(results, list) or len(results) > INLINE_RESULTS_LIMIT:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not 0 < len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            if result.get("type") != "article" or not result.get("title"):
                raise ApiError(400, "Bad Request: RESULT_TYPE_INVALID")
            checked_text(content.get("message_text"), content.get("parse_mode"), MESSAGE_LIMIT)
            checked_markup(result.get("reply_markup"))
        button = params.get("button")
        if button is not None and (
            not button.get("text")
            or not _START_PARAMETER.fullmatch(str(button.get("start_parameter", "")))
        ):
            raise ApiError(400, "Bad Request: START_PARAM_INVALID")
        with self._lock:
            if query_id not in self._open_inline:
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID "
                    "is invalid",
                )
            self._open_inline.discard(query_id)
            self._inline_answers[query_id] = dict(params)
        return True

    # -- channels ----------------------------------------------------------------------------

    def link_discussion(self, channel_id: int, group_id: int, title: str = "News") -> None:
        """Make ``group_id`` the discussion group of channel ``channel_id`` (getChat shows
        linked_chat_id on both; posts are forwarded into the group automatically)."""
        self.add_chat(channel_id, "channel", title)
        self.add_chat(group_id, "supergroup", f"{title} Chat")
        with self._lock:
            self._linked[channel_id] = group_id
            self._linked[group_id] = channel_id

    def push_channel_post(
        self,
        channel_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        document: tuple[str, str, bytes] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Queue a ``channel_post`` and, when the channel has a discussion group, the post's
        automatic forward into it (a ``message`` from Telegram's service account, as the
        channel, ``is_automatic_forward``); returns both (the forward None without a group).
        ``document`` is (file_name, mime_type, content) and becomes downloadable."""
        channel = self.add_chat(channel_id, "channel")
        fields = {**_text_fields(text, caption, entities), "sender_chat": channel}
        if document is not None:
            file_name, mime_type, content = document
            fields["document"] = self.register_file(content, file_name, mime_type)
        post = self._new_message(channel, {}, fields)
        with self._lock:
            post.pop("from")  # channel posts have no sender user
            group_id = self._linked.get(channel_id)
        self._enqueue("channel_post", post)
        if group_id is None:
            return post, None
        origin = {
            "type": "channel",
            "date": post["date"],
            "chat": channel,
            "message_id": post["message_id"],
        }
        forward = self._new_message(
            self.add_chat(group_id),
            {"id": TELEGRAM_SERVICE_ID, "is_bot": False, "first_name": "Telegram"},
            {**fields, "is_automatic_forward": True, "forward_origin": origin},
        )
        self._enqueue("message", forward)
        return post, forward

    # -- chats that block or remove the bot ---------------------------------------------------

    def block(
        self, chat_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """From now on sending to ``chat_id`` fails with 403 ``description`` (the user blocked
        the bot; "Forbidden: bot was kicked from the supergroup chat" for groups…)."""
        self.add_chat(chat_id)
        with self._lock:
            self._blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.pop(chat_id, None)

    def push_my_chat_member(
        self, chat_id: int, old: str, new: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a ``my_chat_member`` update: the bot's status in ``chat_id`` changed from
        ``old`` to ``new`` (``kicked``: blocked in a private chat, removed from a group)."""
        chat = self.add_chat(chat_id)
        actor = self._user(user_id if user_id is not None else DEFAULT_USER_ID)
        change = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": chat_member(old, self._bot_user()),
            "new_chat_member": chat_member(new, self._bot_user()),
        }
        return self._enqueue("my_chat_member", change)

    # -- reactions ---------------------------------------------------------------------------

    def reactions(self, chat_id: int, message_id: int) -> list[str]:
        """The bot's reaction emoji on a message (setMessageReaction), none when unset."""
        with self._lock:
            return list(self._reactions.get((chat_id, message_id), []))

    def _set_reaction(self, params: dict[str, Any]) -> bool:
        """setMessageReaction: one emoji of Telegram's standard set on a known message (an
        empty list removes the bot's reaction)."""
        chat = self._chat(params)
        key = (chat["id"], int(params.get("message_id") or 0))
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list) or len(reaction) > 1:
            raise ApiError(400, "Bad Request: REACTIONS_TOO_MANY")
        emojis = [str(r.get("emoji")) for r in reaction if r.get("type") == "emoji"]
        if len(emojis) != len(reaction) or any(e not in STANDARD_REACTIONS for e in emojis):
            raise ApiError(400, "Bad Request: REACTION_INVALID")
        with self._lock:
            if key not in self._messages:
                raise ApiError(400, "Bad Request: message to react not found")
            self._reactions[key] = emojis
        return True


def _text_fields(
    text: str | None, caption: str | None, entities: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """A user message's text or caption with the entities Telegram would detect."""
    fields: dict[str, Any] = {}
    if text is not None:
        fields["text"] = text
        fields["entities"] = detect_entities(text) if entities is None else entities
    if caption is not None:
        fields["caption"] = caption
        fields["caption_entities"] = detect_entities(caption)
    return fields


def _extension(file_name: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", file_name)
    return match.group() if match else ""


def _doc(spec: tuple[str, str, bytes]) -> tuple[str, bytes, str]:
    """(file_name, mime_type, content) -> UploadedFile's field order."""
    file_name, mime_type, content = spec
    return file_name, content, mime_type
