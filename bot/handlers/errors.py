"""The last line of defence: log the error (the token is redacted by logging_setup) and tell
the user something polite, never a traceback."""

from __future__ import annotations

import contextlib
import logging

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.formatting import render_text
from bot.i18n import pick_ui_language, t

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    ui = pick_ui_language(user.language_code if user else None)
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(t("error.internal", ui), show_alert=True)
            return
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        asked = chat.type == Chat.PRIVATE or (message.text or "").startswith("/")
        if asked:  # in groups, only answer what someone explicitly asked for
            await message.reply_text(render_text("error.internal", ui), parse_mode=ParseMode.HTML)
