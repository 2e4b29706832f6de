"""Every inline-button press goes through here: the payload must be one our codec made for this
very chat, or the press is refused and nothing runs."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.telegram.callback_data import CHANNEL_ACTION, InvalidCallback
from bot.telegram.handlers.channel_settings import on_channel_button
from bot.telegram.handlers.feeds import FEED_ACTIONS, on_feed_button
from bot.telegram.handlers.settings import SETTINGS_ACTIONS, on_settings_button
from bot.telegram.handlers.summary_buttons import on_summary_button
from bot.telegram.i18n import pick_ui_language, t
from bot.telegram.runtime import BriefContext, runtime

log = logging.getLogger(__name__)


async def on_callback(update: Update, context: BriefContext) -> None:
    query = update.callback_query
    if query is None:
        return
    ui = pick_ui_language(query.from_user.language_code)
    message = query.message
    if message is None or query.data is None:  # inline-mode or game buttons: not ours
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    try:
        payload = runtime(context).codec.decode(query.data, message.chat.id)
    except InvalidCallback as exc:
        log.warning(
            "Refused callback data in chat %s from user %s: %s",
            message.chat.id,
            query.from_user.id,
            exc,
        )
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    if payload.action in SETTINGS_ACTIONS:
        await on_settings_button(update, context, payload)
    elif payload.action == CHANNEL_ACTION:
        await on_channel_button(update, context, payload)
    elif payload.action in FEED_ACTIONS:
        await on_feed_button(update, context, payload)
    else:
        await on_summary_button(update, context, payload)


def handler() -> BaseHandler[Update, BriefContext, None]:
    return CallbackQueryHandler(on_callback)
