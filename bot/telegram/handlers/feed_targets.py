"""Whose feeds a feed command is about: the chat it was sent in, or a channel named first.

In a channel itself (``channel_post``) only its admins can post, so the post is its admins'
word (checked: posted as this very channel). From a private chat with the bot or from any
group, ``/follow @channel URL`` (or the channel's ``-100…`` id) acts on that channel once
Telegram says *now* (getChatMember on the channel) that the sender is one of its admins, or
the message was posted as that channel; buttons for it are checked again at every press.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import Chat, InlineKeyboardMarkup, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram.authz import may_change_settings
from bot.telegram.formatting import render_text
from bot.telegram.runtime import BriefContext

log = logging.getLogger(__name__)

#: ``@username`` or a channel's ``-100…`` id as the first argument of a feed command.
CHANNEL_REF = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100[0-9]{5,13}")


@dataclass(frozen=True)
class Target:
    """The chat whose feeds change, its title when it is a channel named in the command
    (None: the chat the command came from), and the command's remaining arguments."""

    chat_id: int
    channel_title: str | None
    args: list[str]


async def answer(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A reply to the command; in a channel a plain post (the command post is deleted)."""
    message = update.effective_message
    if message is None:
        return
    if update.channel_post is not None:
        await message.chat.send_message(html, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        await message.reply_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)


async def feed_target(
    update: Update, context: BriefContext, ui: str, *, change: bool
) -> Target | None:
    """The target of a feed command, or None after telling the sender why not (an unknown
    channel, not its admin; for ``change``, not an admin of this chat)."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    args = list(context.args or [])
    if chat.type != Chat.CHANNEL and args and CHANNEL_REF.fullmatch(args[0]):
        return await _channel_target(update, context, ui, args)
    if change and not await may_change_settings(
        context.bot, chat, update.effective_user, message.sender_chat
    ):
        await answer(update, render_text("settings.admins_only", ui))
        return None
    return Target(chat.id, None, args)


async def _channel_target(
    update: Update, context: BriefContext, ui: str, args: list[str]
) -> Target | None:
    message = update.effective_message
    assert message is not None
    ref = args[0]
    try:
        channel = await context.bot.get_chat(int(ref) if ref.startswith("-") else ref)
    except TelegramError as exc:
        log.info("Feed command for unknown channel %s: %s", ref, exc)
        channel = None
    if channel is None or channel.type != Chat.CHANNEL:
        await answer(update, render_text("feeds.channel_not_found", ui, channel=ref))
        return None
    # Asked at every command, as for settings; every feed command names its channel.
    if not await may_change_channel(
        context, channel.id, update.effective_user, message.sender_chat
    ):
        await answer(update, render_text("feeds.channel_admins_only", ui))
        return None
    return Target(channel.id, channel.title or ref, args[1:])


async def may_change_channel(
    context: BriefContext, channel_id: int, user: User | None, sender_chat: Chat | None = None
) -> bool:
    """True when the message was posted as the channel, or Telegram says now that the user
    is one of the channel's admins."""
    channel = Chat(channel_id, Chat.CHANNEL)
    return await may_change_settings(context.bot, channel, user, sender_chat)
