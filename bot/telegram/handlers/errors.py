"""The last line of defence: log the error (the token is redacted by logging_setup) and tell
the user something polite, never a traceback."""

from __future__ import annotations

import contextlib
import logging

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.config import LimitsConfig
from bot.telegram.error_messages import error_html, error_text
from bot.telegram.i18n import pick_ui_language
from bot.telegram.runtime import BriefContext
from translation import BriefbotError

log = logging.getLogger(__name__)


async def on_error(update: object, context: BriefContext) -> None:
    error = context.error
    if isinstance(error, BriefbotError):  # e.g. the database is locked or the disk is full
        log.error("Could not handle an update: %s", error.message)
    else:
        log.error("Error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    ui = pick_ui_language(user.language_code if user else None)
    rt = context.bot_data.runtime_or_none
    limits = rt.config.limits if rt is not None else LimitsConfig()
    failure = error if isinstance(error, Exception) else RuntimeError("unknown error")
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            text = error_text(failure, ui, limits)[:200]
            await update.callback_query.answer(text, show_alert=True)
            return
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        asked = chat.type == Chat.PRIVATE or (message.text or "").startswith("/")
        if asked:  # in groups, only answer what someone explicitly asked for
            await message.reply_text(error_html(failure, ui, limits), parse_mode=ParseMode.HTML)
