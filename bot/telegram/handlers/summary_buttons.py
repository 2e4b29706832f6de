"""The buttons under a summary: full translation, original summary, shorter, longer."""

from __future__ import annotations

import logging

from telegram import Chat, Update

from bot.core.requests import Destination, TranslationRequest
from bot.core.service import Refused, ResultExpired
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.error_messages import error_text
from bot.telegram.i18n import t
from bot.telegram.keyboards import ResultRef
from bot.telegram.runtime import BriefContext, runtime, ui_language
from translation import BriefbotError

log = logging.getLogger(__name__)

#: How each resizing button changes (sentences, original shown).
_RESIZE = {
    "orig": lambda ref: (ref.sentences, not ref.show_source),
    "short": lambda ref: (ref.sentences - 1, ref.show_source),
    "long": lambda ref: (ref.sentences + 1, ref.show_source),
}


async def on_summary_button(
    update: Update, context: BriefContext, payload: CallbackPayload
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
    if payload.action == "full":
        await query.answer()
        request = TranslationRequest(
            Destination(chat.id, query.message.message_id, query.from_user.id),
            payload.args[0],
            ui=ui,
            doc_key=ref.doc_key,
            origin="private" if chat.type == Chat.PRIVATE else "asked",
        )
        await rt.service.submit(request, rt.chat)
        return
    sentences, show_source = _RESIZE[payload.action](ref)
    try:
        view = await rt.service.resize(
            chat.id, query.from_user.id, ref.doc_key, sentences, show_source, ui
        )
    except Refused as exc:
        await query.answer(t(f"error.{exc.reason}", ui), show_alert=True)
        return
    except ResultExpired:
        await query.answer(t("error.result_expired", ui), show_alert=True)
        return
    except BriefbotError as exc:
        await query.answer(error_text(exc, ui, rt.config.limits)[:200], show_alert=True)
        return
    await rt.chat.edit(chat.id, query.message.message_id, view)
    await query.answer()
