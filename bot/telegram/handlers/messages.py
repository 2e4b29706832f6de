"""Plain messages: everything in a private chat; mentions and (auto mode) links or long texts
in groups; and the group -> supergroup migration service messages."""

from __future__ import annotations

import logging
import unicodedata

from telegram import Message, Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.core.requests import Origin, SummaryRequest
from bot.telegram.handlers.intake import (
    destination,
    has_link,
    hidden_links,
    message_text,
    source_from_message,
    source_from_text,
    strip_mentions,
    wants_auto_summary,
)
from bot.telegram.i18n import t
from bot.telegram.runtime import BriefContext, Runtime, runtime, settings_and_ui, ui_language
from translation import InputError, find_urls

log = logging.getLogger(__name__)

CONTENT = (filters.TEXT | filters.CAPTION | filters.Document.ALL) & ~filters.COMMAND
#: Edits of old messages are not new requests (an edited link must not be summarized twice).
NEW_MESSAGES = filters.UpdateType.MESSAGE
#: Text given with a mention is summarized from this many words on; fewer is a remark or a
#: question ("@bot hi", "@bot was steht da?"), answered with how to ask.
MENTION_TEXT_MIN_WORDS = 5
#: A private message of fewer words and no link ("hallo", "danke!", an emoji) is not an
#: article: it gets told what the bot does instead of a "summary" of itself.
PRIVATE_TEXT_MIN_WORDS = 3


async def summarize(update: Update, rt: Runtime, origin: Origin, content: Message | str) -> None:
    """Submit a summary of ``content`` (a message, or text/a link given with a command)."""
    _settings, ui = await settings_and_ui(update, rt)
    dest = destination(update)
    try:
        if isinstance(content, str):
            source = source_from_text(content)
        else:
            source = source_from_message(content, rt.config.limits)
    except InputError as exc:
        await rt.service.reject(dest, ui, origin, exc, rt.chat)
        return
    request = SummaryRequest(destination=dest, source=source, ui=ui, origin=origin)
    await rt.service.submit(request, rt.chat)


async def on_private(update: Update, context: BriefContext) -> None:
    """Anything in a private chat; stickers, photos without caption etc. get told what works."""
    message = update.effective_message
    if message is None:
        return
    rt = runtime(context)
    if _is_a_remark(message):
        _settings, ui = await settings_and_ui(update, rt)
        await message.reply_text(t("private.short_text_hint", ui))
        return
    await summarize(update, rt, "private", message)


def _is_a_remark(message: Message) -> bool:
    """A word or two, or emoji, without a link; not blank or invisible (that is "empty")."""
    text = message_text(message)
    if message.document is not None or not text or has_link(message):
        return False
    visible = any(ch.isalnum() or unicodedata.category(ch)[0] == "S" for ch in text)
    return visible and len(text.split()) < PRIVATE_TEXT_MIN_WORDS


async def on_group(update: Update, context: BriefContext) -> None:
    message = update.effective_message
    if message is None:
        return
    rt = runtime(context)
    mentioned, rest = strip_mentions(message, context.bot.bot)
    if mentioned:
        await _on_mention(update, rt, message, rest)
        return
    settings = await rt.service.settings(message.chat_id)
    if settings.group_mode != "auto":
        return
    text = message_text(message)
    wanted = text is not None and (wants_auto_summary(text) or bool(hidden_links(message)))
    if message.document is not None or wanted:
        await summarize(update, rt, "auto", message)


async def _on_mention(update: Update, rt: Runtime, message: Message, rest: str) -> None:
    settings = await rt.service.settings(message.chat_id)
    if settings.group_mode == "off":
        return
    replied = message.reply_to_message
    readable_reply = replied is not None and bool(message_text(replied) or replied.document)
    # "@bot was steht da?" is a question to the bot, not a text to summarize: it gets the hint.
    is_text = len(rest.split()) >= MENTION_TEXT_MIN_WORDS
    if find_urls(rest) or (is_text and not readable_reply):
        await summarize(update, rt, "asked", rest)
        return
    if replied is not None and readable_reply:
        await summarize(update, rt, "asked", replied)
        return
    ui = ui_language(update.effective_user, settings)
    await message.reply_text(t("group.mention_hint", ui))


async def on_migration(update: Update, context: BriefContext) -> None:
    """A group became a supergroup: its settings, jobs and statistics move to the new id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    log.info("Chat %s migrated to %s", old, new)
    await runtime(context).service.migrate_chat(old, new)


def migration_handler() -> BaseHandler[Update, BriefContext, None]:
    return MessageHandler(filters.StatusUpdate.MIGRATE, on_migration)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    private = filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return [
        MessageHandler(NEW_MESSAGES & private, on_private),
        MessageHandler(NEW_MESSAGES & filters.ChatType.GROUPS & CONTENT, on_group),
    ]
