"""Edited messages: when a user edits a message the bot answered (say, to fix a link), the
bot's answer is redone in place. The core decides whether anything needs doing (a recent
answer exists and what the message asks for changed); here the edit is only read the same
way as the original message was."""

from __future__ import annotations

import logging

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.core.requests import Origin, Source, SummaryRequest
from bot.core.text_size import MENTION_MIN_WORDS, is_a_remark
from bot.telegram.handlers.intake import (
    destination,
    source_from_message,
    source_from_text,
    strip_mentions,
)
from bot.telegram.handlers.messages import CONTENT
from bot.telegram.runtime import BriefContext, runtime, settings_and_ui
from translation import InputError, find_urls

log = logging.getLogger(__name__)


def _edited_request(message: Message, bot_user: User) -> tuple[Origin, Message | str]:
    """What the edited message asks for, read as ``messages.on_private``/``on_group`` read
    new messages (a mention's own text or link, else the message it replies to)."""
    if message.chat.type == ChatType.PRIVATE:
        return "private", message
    mentioned, rest = strip_mentions(message, bot_user)
    if not mentioned:
        return "auto", message
    if find_urls(rest) or not is_a_remark(rest, MENTION_MIN_WORDS):
        return "asked", rest
    replied = message.reply_to_message
    return "asked", replied if replied is not None else rest


async def on_edited(update: Update, context: BriefContext) -> None:
    message = update.edited_message
    if message is None:
        return
    rt = runtime(context)
    settings, ui = await settings_and_ui(update, rt)
    channel = message.sender_chat if message.is_automatic_forward else None
    if channel is None and message.chat.type != ChatType.PRIVATE and settings.group_mode == "off":
        return
    origin, content = _edited_request(message, context.bot.bot)
    try:
        source: Source = (
            source_from_text(content)
            if isinstance(content, str)
            else source_from_message(content, rt.config.limits)
        )
    except InputError as exc:  # edited into something that is not an article: leave the answer
        log.info("Ignoring an edit in chat %s: %r", message.chat_id, exc)
        return
    request = SummaryRequest(
        destination=destination(update),
        source=source,
        ui=ui,
        origin=origin,
        settings_chat=channel.id if channel is not None else None,  # a channel post's comment
    )
    await rt.service.revise(request, rt.chat)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    edited = filters.UpdateType.EDITED_MESSAGE & (
        filters.ChatType.PRIVATE | filters.ChatType.GROUPS
    )
    return [MessageHandler(edited & CONTENT, on_edited)]
