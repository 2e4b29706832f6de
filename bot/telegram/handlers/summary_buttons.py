"""The buttons under a summary: full translation, original summary, shorter, longer."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Chat, Update

from bot.core.requests import Destination, ResizeRequest, TranslationRequest
from bot.core.resize_jobs import ResizeJobs
from bot.core.service import Refused, ResultExpired
from bot.telegram.callback_data import CallbackPayload
from bot.telegram.error_messages import error_text
from bot.telegram.formatting import language_name
from bot.telegram.i18n import t
from bot.telegram.keyboards import ResultRef
from bot.telegram.runtime import BriefContext, Runtime, runtime, ui_language
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
        await _full_translation(query, rt, chat, ui, payload.args[0], ref.doc_key)
        return
    sentences, show_source = _RESIZE[payload.action](ref)
    request = ResizeRequest(
        Destination(chat.id, query.message.message_id, query.from_user.id),
        ref.doc_key,
        sentences,
        show_source,
        ui=ui,
        origin="private" if chat.type == Chat.PRIVATE else "asked",
    )
    try:
        await ResizeJobs(rt.service).press(request, rt.chat)
    except Refused as exc:
        await query.answer(t(f"error.{exc.reason}", ui), show_alert=True)
        return
    except ResultExpired:
        await query.answer(t("error.result_expired", ui), show_alert=True)
        return
    except BriefbotError as exc:
        await query.answer(error_text(exc, ui, rt.config.limits)[:200], show_alert=True)
        return
    await query.answer()


async def _full_translation(
    query: CallbackQuery, rt: Runtime, chat: Chat, ui: str, target: str, doc_key: str
) -> None:
    """One full translation per summary and language: a second press (by anyone) is told it
    is on its way or above; a refused press gets a pop-up, never a message in the chat."""
    assert query.message is not None
    request = TranslationRequest(
        Destination(chat.id, query.message.message_id, query.from_user.id),
        target,
        ui=ui,
        doc_key=doc_key,
        origin="private" if chat.type == Chat.PRIVATE else "asked",
    )
    answered = False

    async def accepted() -> None:
        nonlocal answered
        answered = True
        await query.answer()

    try:
        earlier = await rt.service.submit_once(request, rt.chat, accepted)
    except Refused as exc:
        await query.answer(t(f"error.{exc.reason}", ui), show_alert=True)
        return
    if earlier is not None and not answered:
        language = language_name(target, ui)
        await query.answer(t(f"full.already_{earlier}", ui, language=language), show_alert=True)
