"""Channels: ``/channel`` lets a channel's admin set its mode and languages (in a private chat
with the bot, or in the channel's linked discussion group), and each post's automatic forward
into that group is answered with the summary, as a comment under the post.

Admin rights are asked from Telegram (getChatMember on the channel) at every change; a message
posted *as the channel* in its discussion group can only come from one of its admins.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Chat, ChatFullInfo, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.core.channels import CHANNEL_MODES, ChannelMode, channel_changes, channel_mode
from bot.core.requests import Destination, SummaryRequest
from bot.core.settings import ChatSettings
from bot.telegram.authz import ADMIN_STATUSES
from bot.telegram.formatting import language_name, render_text
from bot.telegram.handlers.intake import (
    hidden_links,
    message_text,
    source_from_message,
    wants_auto_summary,
)
from bot.telegram.handlers.messages import NEW_MESSAGES, on_group
from bot.telegram.i18n import pick_ui_language
from bot.telegram.runtime import BriefContext, Runtime, runtime, settings_and_ui
from translation import InputError

log = logging.getLogger(__name__)


class ChannelRefused(Exception):
    """A /channel command that cannot be carried out; ``key`` is the text to answer."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


async def channel_of(
    context: BriefContext, message: Message, args: list[str]
) -> tuple[ChatFullInfo, list[str]]:
    """The channel a /channel (or /settings) command is about, and the arguments left: the
    first argument in a private chat, the linked channel in a discussion group."""
    bot = context.bot
    if message.chat.type == Chat.PRIVATE:
        if not args:
            raise ChannelRefused("channel.usage")
        ref, args = args[0], args[1:]
        chat_id: int | str = int(ref) if ref.lstrip("-").isdigit() else ref
    else:
        try:
            linked = (await bot.get_chat(message.chat_id)).linked_chat_id
        except TelegramError:
            linked = None
        if linked is None:
            raise ChannelRefused("channel.not_linked")
        chat_id = linked
    try:
        channel = await bot.get_chat(chat_id)
    except TelegramError:
        raise ChannelRefused("channel.not_found") from None
    if channel.type != Chat.CHANNEL:
        raise ChannelRefused("channel.not_found")
    return channel, args


async def is_channel_admin(
    bot: Bot, channel_id: int, user: User | None, sender_chat: Chat | None = None
) -> bool:
    """Whether Telegram says *now* that ``user`` administers the channel; a message posted
    as the channel itself (``sender_chat``) can only come from one of its admins."""
    if sender_chat is not None:
        return sender_chat.id == channel_id
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(channel_id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember failed in channel %s: %s", channel_id, exc)
        return False
    return member.status in ADMIN_STATUSES


#: What a command does with a channel its sender administers: (message, channel, the
#: arguments left, UI language); it may raise ChannelRefused.
ChannelAction = Callable[[Message, ChatFullInfo, list[str], str], Awaitable[None]]


async def with_administered_channel(
    update: Update, context: BriefContext, action: ChannelAction
) -> None:
    """Find the channel a command is about and check that its sender administers it, then
    run ``action``; any refusal is answered with its text."""
    message = update.effective_message
    if message is None:
        return
    _settings, ui = await settings_and_ui(update, runtime(context))
    try:
        channel, args = await channel_of(context, message, list(context.args or []))
        if not await is_channel_admin(
            context.bot, channel.id, message.from_user, message.sender_chat
        ):
            raise ChannelRefused("channel.not_admin")
        await action(message, channel, args, ui)
    except ChannelRefused as refused:
        await message.reply_text(
            render_text(refused.key, ui, **refused.values), parse_mode=ParseMode.HTML
        )


def _parse(rt: Runtime, args: list[str]) -> tuple[ChannelMode | None, tuple[str, ...] | None]:
    mode: ChannelMode | None = None
    languages: tuple[str, ...] | None = None
    for arg in args:
        word = arg.lower()
        if word in CHANNEL_MODES:
            mode = "comment" if word == "comment" else "off"
            continue
        codes = tuple(c.strip() for c in word.split(",") if c.strip())
        unknown = [c for c in codes if c not in rt.service.available_targets()]
        if unknown or not codes:
            raise ChannelRefused("channel.unknown_language", languages=", ".join(unknown or [arg]))
        languages = codes
    return mode, languages


async def channel_command(update: Update, context: BriefContext) -> None:
    """``/channel [CHANNEL] [comment|off] [LANGS]``: change and/or show a channel's settings."""
    rt = runtime(context)

    async def change(message: Message, channel: ChatFullInfo, args: list[str], ui: str) -> None:
        mode, languages = _parse(rt, args)
        changes = channel_changes(mode, languages)
        settings = (
            await rt.service.change_settings(channel.id, **changes)
            if changes
            else await rt.service.settings(channel.id)
        )
        html = await channel_status_html(context.bot, channel, settings, ui)
        await message.reply_text(html, parse_mode=ParseMode.HTML)

    await with_administered_channel(update, context, change)


async def channel_status_html(
    bot: Bot, channel: ChatFullInfo, settings: ChatSettings, ui: str
) -> str:
    """The channel's mode and languages, and a warning when comments have nowhere to go."""
    current = channel_mode(settings)
    html = render_text(
        "channel.status",
        ui,
        channel=channel.title or str(channel.id),
        mode=render_text(f"channel.mode.{current}", ui),
        languages=", ".join(language_name(c, ui) for c in settings.target_languages),
    )
    if current == "comment" and (await bot.get_chat(channel.id)).linked_chat_id is None:
        html += "\n\n" + render_text("channel.no_discussion", ui)
    return html


async def on_automatic_forward(update: Update, context: BriefContext) -> None:
    """A channel post arriving in its discussion group: summarized as a comment when the
    channel is in ``comment`` mode and the post is an article; otherwise the group's own mode
    decides, as for any message."""
    message = update.effective_message
    channel = message.sender_chat if message is not None else None
    if message is None or channel is None or channel.type != Chat.CHANNEL:
        await on_group(update, context)
        return
    rt = runtime(context)
    settings = await rt.service.settings(channel.id)
    if channel_mode(settings) != "comment":
        await on_group(update, context)
        return
    text = message_text(message)
    is_article = text is not None and (wants_auto_summary(text) or bool(hidden_links(message)))
    if not (is_article or message.document is not None):
        return  # "Guten Morgen!" posts get no comment
    try:
        source = source_from_message(message, rt.config.limits)
    except InputError:
        return
    request = SummaryRequest(
        destination=Destination(message.chat_id, reply_to=message.message_id),
        source=source,
        ui=pick_ui_language(None, settings.ui_language),
        origin="auto",
        settings_chat=channel.id,
    )
    await rt.service.submit(request, rt.chat)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    """Registered before the plain group handler, which would otherwise take the forwards."""
    forwards = NEW_MESSAGES & filters.ChatType.GROUPS & filters.IS_AUTOMATIC_FORWARD
    return [
        CommandHandler("channel", channel_command, NEW_MESSAGES),
        MessageHandler(forwards, on_automatic_forward),
    ]
