"""A channel's settings as a menu: ``/settings @channel`` (or its id) in a private chat with an
admin of the channel, or the "Settings of the linked channel" button under ``/settings`` in
the channel's discussion group (next to the group's own settings).

The same rules as ``/channel`` (getChatMember on the channel at the command and at every
press; a forged admin changes nothing) and the same menu pieces and changes as ``/settings``
(language page, "keep at least one language"), scoped to the channel by a signed payload.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Chat, ChatFullInfo, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.core.channels import channel_mode
from bot.core.settings import ChatSettings
from bot.telegram.callback_data import CallbackPayload, InvalidCallback, channel_target
from bot.telegram.formatting import render_text
from bot.telegram.handlers.channels import (
    channel_status_html,
    is_channel_admin,
    with_administered_channel,
)
from bot.telegram.handlers.settings import apply_change, change_for
from bot.telegram.i18n import t
from bot.telegram.keyboards import (
    channel_main_keyboard,
    channel_mode_keyboard,
    languages_keyboard,
)
from bot.telegram.runtime import BriefContext, runtime, ui_language

log = logging.getLogger(__name__)

#: The stored modes a channel may have: ``auto`` is ``comment``.
CHANNEL_MODE_VALUES = ("auto", "off")


async def channel_menu(
    context: BriefContext,
    chat: Chat,
    channel: ChatFullInfo,
    settings: ChatSettings,
    ui: str,
    page: str,
) -> tuple[str, InlineKeyboardMarkup]:
    """The channel menu's text and buttons for one page, shown in ``chat``."""
    rt = runtime(context)
    status = await channel_status_html(context.bot, channel, settings, ui)
    codec = rt.codec
    if page == "langs":
        available = rt.service.available_targets() | set(settings.target_languages)
        note = "settings.languages.title" if available else "settings.languages.none_installed"
        selected = settings.target_languages
        keyboard = languages_keyboard(codec, chat.id, ui, available, selected, channel.id)
    elif page == "mode":
        note = "settings.channel_mode.title"
        current = channel_mode(settings)
        keyboard = channel_mode_keyboard(codec, chat.id, channel.id, ui, current)
    else:
        in_group = chat.type != Chat.PRIVATE
        return status, channel_main_keyboard(codec, chat.id, channel.id, ui, in_group=in_group)
    return f"{status}\n\n{render_text(note, ui)}", keyboard


async def channel_settings_command(update: Update, context: BriefContext) -> None:
    """``/settings CHANNEL`` in a private chat: the channel's menu, for its admins only."""

    async def show(message: Message, channel: ChatFullInfo, _args: list[str], ui: str) -> None:
        settings = await runtime(context).service.settings(channel.id)
        text, keyboard = await channel_menu(context, message.chat, channel, settings, ui, "main")
        await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)

    await with_administered_channel(update, context, show)


async def on_channel_button(
    update: Update, context: BriefContext, payload: CallbackPayload
) -> None:
    """A press in a channel's menu (already verified as ours for this chat): the presser must
    administer the channel right now."""
    query = update.callback_query
    assert query is not None and query.message is not None
    chat = query.message.chat
    rt = runtime(context)
    ui = ui_language(query.from_user, await rt.service.settings(chat.id))
    try:
        channel_id, action = channel_target(payload)
    except InvalidCallback:
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    if not await is_channel_admin(context.bot, channel_id, query.from_user):
        await query.answer(t("channel.not_admin", ui), show_alert=True)
        return
    try:
        channel = await context.bot.get_chat(channel_id)
    except TelegramError:
        await query.answer(t("channel.not_found", ui), show_alert=True)
        return
    settings = await rt.service.settings(channel_id)
    if action.action == "done":
        html = await channel_status_html(context.bot, channel, settings, ui)
        await query.edit_message_text(html, parse_mode=ParseMode.HTML)
        await query.answer()
        return
    found = change_for(action, rt)
    if found is None or (action.action == "mode" and action.args[0] not in CHANNEL_MODE_VALUES):
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    changes, page = found
    settings, notice, _changed = await apply_change(rt, channel_id, action, changes, settings, ui)
    text, keyboard = await channel_menu(context, chat, channel, settings, ui, page)
    with contextlib.suppress(BadRequest):  # "message is not modified" when nothing changed
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    await query.answer(notice)


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    """Registered before ``/settings``, which would otherwise take ``/settings @channel``."""
    with_channel = (
        filters.UpdateType.MESSAGE
        & filters.ChatType.PRIVATE
        & filters.Regex(r"^/settings(@\w+)?\s+(@\w+|-100\d+)\s*$")
    )
    return [CommandHandler("settings", channel_settings_command, with_channel)]
