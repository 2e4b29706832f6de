"""The buttons under a summary: full translation, original summary, shorter, longer."""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.ext import ContextTypes

from bot.core.admission import QueueFull
from bot.core.requests import Destination, TranslationRequest
from bot.core.service import Refused, ResultExpired
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.error_messages import error_text
from bot.telegram.i18n import t
from bot.telegram.keyboards import ResultRef
from bot.telegram.runtime import runtime, ui_language
from translation.errors import BriefbotError

log = logging.getLogger(__name__)


async def on_summary_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: CallbackPayload
) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    rt = runtime(context)
    chat = query.message.chat
    settings = await rt.service.settings(chat.id)
    ui = ui_language(query.from_user, settings)
    ref = ResultRef.parse(payload.args[-1])
    if ref is None:
        await query.answer(t("error.button_invalid", ui), show_alert=True)
        return
    service = rt.service
    if payload.action == "full":
        await query.answer()
        request = TranslationRequest(
            Destination(chat.id, query.message.message_id, query.from_user.id),
            payload.args[0],
            ui=ui,
            doc_key=ref.doc_key,
            origin="private" if chat.type == Chat.PRIVATE else "asked",
        )
        await service.submit(request, rt.chat)
        return
    sentences, show_source = ref.sentences, ref.show_source
    if payload.action == "orig":
        show_source = not show_source
    elif payload.action == "short":
        sentences -= 1
    elif payload.action == "long":
        sentences += 1
    try:
        service.check_rate(chat.id, query.from_user.id)
        service.queue.enter()
    except (Refused, QueueFull) as exc:
        key = exc.key if isinstance(exc, Refused) else "error.busy"
        await query.answer(t(key, ui), show_alert=True)
        return
    try:
        rendered = await service.resize(chat.id, ref.doc_key, sentences, show_source, ui)
    except ResultExpired:
        await query.answer(t("error.result_expired", ui), show_alert=True)
        return
    except BriefbotError as exc:
        await query.answer(error_text(exc, ui, rt.config.limits)[:200], show_alert=True)
        return
    finally:
        service.queue.leave()
    await rt.chat.edit(chat.id, query.message.message_id, rendered.html, menu=rendered.menu)
    await query.answer()
