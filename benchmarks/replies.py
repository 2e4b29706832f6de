"""What became of a simulated message: the bot's answer, as the loopback Bot API recorded it."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from bot.telegram.formatting import render_text
from bot.telegram.i18n import EN
from tests.support.bot_api_server import BotApiServer, SentMessage
from tests.support.telegram_html import parse_telegram_html

REFUSALS = {
    render_text("error.busy", "en"): "busy",
    render_text("error.rate_limited_user", "en"): "rate limited",
    render_text("error.rate_limited_chat", "en"): "rate limited",
}


@dataclass
class Request:
    """One simulated message and what became of it."""

    chat_id: int
    at: float  # seconds after the start of the traffic
    kind: str
    article: int
    message_id: int | None = None
    pushed: float | None = None  # time.monotonic() of the push
    outcome: str = "unanswered"
    latency: float | None = None
    answer: str = ""


def _progress_prefixes() -> tuple[str, ...]:
    """How each "working on it" text starts (placeholders cut off), as the bot renders it."""
    mark = "QQQ"
    prefixes = []
    for key, template in EN.items():
        if key.startswith("progress."):
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            prefixes.append(render_text(key, "en", **dict.fromkeys(names, mark)).split(mark)[0])
    return tuple(prefixes)


PROGRESS = _progress_prefixes()


def _answers(messages: Sequence[SentMessage], request: Request) -> list[SentMessage]:
    return [
        m
        for m in messages
        if (m.message.get("reply_to_message") or {}).get("message_id") == request.message_id
    ]


def is_final(message: SentMessage) -> bool:
    """Not a "working on it" message, nor a live answer still ending in one."""
    text = message.text or ""
    last_paragraph = text.rsplit("\n\n", 1)[-1]
    return (
        not message.deleted
        and not text.startswith(PROGRESS)
        and not last_paragraph.startswith(PROGRESS)
    )


def is_answered(server: BotApiServer, request: Request) -> bool:
    if request.message_id is None:
        return False
    return any(is_final(m) for m in _answers(server.sent_messages(request.chat_id), request))


def classify(server: BotApiServer, request: Request) -> None:
    """Set outcome, latency and answer text from what the Bot API server recorded."""
    answers = _answers(server.sent_messages(request.chat_id, include_deleted=True), request)
    final = [m for m in answers if is_final(m)]
    if not final or request.pushed is None:
        return
    message = final[-1]
    text = message.text or ""
    buttons = (message.reply_markup or {}).get("inline_keyboard")
    request.outcome = REFUSALS.get(text, "summary" if buttons else "error")
    request.answer = parse_telegram_html(text)[:100]
    ids = {m.message_id for m in answers}
    delivered = [
        call.time
        for call in server.calls()
        if call.status == 200
        and call.method in ("sendMessage", "editMessageText")
        and int(call.params.get("chat_id", 0)) == request.chat_id
        and (
            (call.params.get("reply_parameters") or {}).get("message_id") == request.message_id
            or int(call.params.get("message_id") or 0) in ids
        )
    ]
    request.latency = max(delivered) - request.pushed
