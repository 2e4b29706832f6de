"""Telegram-shaped values and checks for the loopback Bot API server (no I/O, no state).

Kept apart from the server so that what Telegram *says* (objects, error texts, limits) is easy to
compare with the Bot API documentation, while the server module only handles HTTP and state.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.telegram_html import MESSAGE_LIMIT, TelegramHtmlError, parse_telegram_html

ANONYMOUS_ADMIN_ID = 1087968824  # Telegram's @GroupAnonymousBot, "from" of anonymous admins
CHANNEL_BOT_ID = 136817688  # Telegram's @Channel_Bot, "from" of messages sent as a channel
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots may download files up to 20 MB
MEMBER_STATUSES = ("creator", "administrator", "member", "left", "kicked")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

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
_ADMIN_RIGHTS = [
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
]
_GIFT_TYPES = [
    "unlimited_gifts",
    "limited_gifts",
    "unique_gifts",
    "premium_subscription",
    "gifts_from_channels",
]


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API request as the server received it (``status`` is what it answered;
    0 means the connection was dropped on purpose)."""

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
    text: str | None  # as sent (raw HTML when parse_mode is HTML); caption for documents
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: UploadedFile | None = None
    deleted: bool = False
    edits: int = 0
    message: dict[str, Any] = field(default_factory=dict)  # Telegram-shaped, visible text


class ApiError(Exception):
    """A Telegram-shaped error answer."""

    def __init__(
        self, status: int, description: str | None = None, parameters: dict[str, Any] | None = None
    ) -> None:
        description = description or DEFAULT_DESCRIPTIONS.get(status, "Error")
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


def decode_form_value(name: str, value: str) -> Any:
    """PTB sends strings as-is and everything else JSON-dumped; undo that."""
    if name in _STRING_PARAMS or not _JSON_START.match(value):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def utf16_units(text: str) -> int:
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
        {"type": kind, "offset": utf16_units(text[:start]), "length": utf16_units(text[start:end])}
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


def chat_member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object with every field PTB requires for that status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({"can_be_edited": False, "is_anonymous": False})
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0
    return member


def chat_full_info(chat: dict[str, Any]) -> dict[str, Any]:
    """getChat's answer: the chat plus the fields ChatFullInfo requires."""
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(_GIFT_TYPES, False),
    }


def checked_text(text: Any, parse_mode: Any, limit: int, *, what: str = "text") -> str:
    """Visible text after entity parsing, or Telegram's 400 for bad HTML, empty or too long.
    ``what`` is "text" (messages) or "caption" (documents), as in Telegram's error texts."""
    if not isinstance(text, str):
        raise ApiError(400, f"Bad Request: message {what} is empty")
    visible = text
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        try:
            visible = parse_telegram_html(text)
        except TelegramHtmlError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    if not visible.strip():
        raise ApiError(400, f"Bad Request: message {what} is empty")
    if utf16_units(visible) > limit:
        too_long = "message is too long" if what == "text" else "message caption is too long"
        raise ApiError(400, f"Bad Request: {too_long}")
    return visible.strip()


def checked_message_text(params: dict[str, Any]) -> str:
    return checked_text(params.get("text"), params.get("parse_mode"), MESSAGE_LIMIT)


def checked_markup(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard, or Telegram's 400 for empty button texts and bad callback data."""
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
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def commands_key(params: dict[str, Any]) -> tuple[str, str]:
    """Commands are stored per (scope, language_code), as setMyCommands defines them."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
