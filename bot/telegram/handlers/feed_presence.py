"""Chats that blocked or removed the bot: their feeds rest, and run again when they come back.

Telegram tells the bot (``my_chat_member``) when a user blocks it or it is removed from a group
or channel; a delivery that fails with Forbidden says the same (``bot.telegram.feed_chat``).
``/start`` in a private chat, unblocking, or adding the bot again brings the chat back, with a
short message that its feeds were paused meanwhile. These handlers sit in a handler group of
their own, so the greeting of /start and the group introduction still run.
"""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, ChatMemberHandler, CommandHandler, filters

from bot.core.errors import ChatUnreachable
from bot.telegram.formatting import render_text
from bot.telegram.handlers.messages import NEW_MESSAGES
from bot.telegram.runtime import BriefContext, runtime, ui_language

log = logging.getLogger(__name__)

#: After the default group (0): /start answers first, then the chat hears about its feeds.
PRESENCE_GROUP = 10
_ABSENT = frozenset({ChatMember.LEFT, ChatMember.BANNED})


async def _back(context: BriefContext, chat: Chat, update: Update) -> None:
    rt = runtime(context)
    if not await rt.core.feeds.chat_back(chat.id):
        return
    settings = await rt.service.settings(chat.id)
    ui = ui_language(update.effective_user, settings)
    try:
        await context.bot.send_message(
            chat.id, render_text("feeds.resumed", ui), parse_mode=ParseMode.HTML
        )
    except TelegramError as exc:
        log.info("Could not tell chat %s that its feeds run again: %s", chat.id, exc)


async def on_start(update: Update, context: BriefContext) -> None:
    """``/start`` in a private chat: the user is back (they may have blocked the bot)."""
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await _back(context, chat, update)


async def on_membership(update: Update, context: BriefContext) -> None:
    """The bot was blocked or removed (feeds rest), or unblocked or added again (they run)."""
    change = update.my_chat_member
    if change is None:
        return
    gone = change.new_chat_member.status in _ABSENT
    if gone == (change.old_chat_member.status in _ABSENT):
        return  # e.g. promoted to admin: nothing changes for feeds
    if gone:
        reason = f"{change.new_chat_member.status} by {change.from_user.id}"
        await runtime(context).core.feeds.chat_gone(ChatUnreachable(change.chat.id, reason))
    else:
        await _back(context, change.chat, update)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    return [
        CommandHandler("start", on_start, NEW_MESSAGES & filters.ChatType.PRIVATE),
        ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
