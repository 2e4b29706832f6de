"""Inline mode: ``@bot <link>`` in any chat (enable it with BotFather's /setinline), the deep
link ``/start s_<token>`` that does the work when the summary was not cached yet, and the
chosen results (BotFather's /setinlinefeedback): counted in the statistics, and a chosen
"Summarizing…" placeholder made a durable job that edits it into the summary
(``editMessageText`` by inline_message_id, ``TelegramChat.edit_inline``)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    BaseHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    filters,
)

from bot.core.inline import PLACEHOLDER_ID, START_PAYLOAD, InlineLinks
from bot.core.requests import SummaryRequest
from bot.core.service import Outcome
from bot.telegram.handlers.intake import destination
from bot.telegram.i18n import t
from bot.telegram.inline_results import (
    offer_button,
    placeholder_results,
    summary_results,
)
from bot.telegram.runtime import BriefContext, runtime, settings_and_ui, ui_language

log = logging.getLogger(__name__)

#: Cached answers may be reused by Telegram for this long; the others are per keystroke.
CACHED_ANSWER_SECONDS = 60


async def on_inline_query(update: Update, context: BriefContext) -> None:
    query = update.inline_query
    if query is None:
        return
    rt = runtime(context)
    user = query.from_user
    settings = await rt.service.settings(user.id)  # the user's private-chat settings
    ui = ui_language(user, settings)
    offer = await InlineLinks(rt.service).offer(user.id, query.query, ui)
    results = (
        summary_results(offer.view, rt.config.limits)
        if offer.view is not None
        else placeholder_results(offer, ui, context.bot.username)
    )
    await query.answer(
        results,
        cache_time=CACHED_ANSWER_SECONDS if offer.view is not None else 0,
        is_personal=True,
        button=offer_button(offer, ui),
    )
    if offer.kind != "help":
        kind = f"inline:{offer.kind}" if offer.reason is None else f"refused:error.{offer.reason}"
        hit = offer.view is not None
        await rt.service.record(user.id, Outcome("inline", outcome=kind, cache_hit=hit))


async def on_start_link(update: Update, context: BriefContext) -> None:
    """``/start s_<token>`` from an inline query's button: summarize the parked link here."""
    message = update.effective_message
    if message is None or not context.args:
        return
    rt = runtime(context)
    _settings, ui = await settings_and_ui(update, rt)
    source = await InlineLinks(rt.service).redeem(context.args[0])
    if source is None:
        await message.reply_text(t("inline.expired", ui))
        return
    request = SummaryRequest(destination=destination(update), source=source, ui=ui)
    await rt.service.submit(request, rt.chat)


async def on_chosen(update: Update, context: BriefContext) -> None:
    chosen = update.chosen_inline_result
    if chosen is None:
        return
    log.info("Inline result %s chosen", chosen.result_id)
    rt = runtime(context)
    user = chosen.from_user
    await rt.service.record(user.id, Outcome("inline", "chosen"))
    if not PLACEHOLDER_ID.fullmatch(chosen.result_id) or chosen.inline_message_id is None:
        return  # a cached summary: already posted as it is
    ui = ui_language(user, await rt.service.settings(user.id))
    await InlineLinks(rt.service).choose(
        user.id, chosen.result_id, chosen.inline_message_id, ui, rt.chat
    )


def handlers() -> list[BaseHandler[Update, BriefContext, None]]:
    """Registered before the plain /start, which the deep-link payload would otherwise reach."""
    deep_link = (
        filters.UpdateType.MESSAGE
        & filters.ChatType.PRIVATE
        & filters.Regex(rf"^/start(@\w+)? {START_PAYLOAD.pattern}$")
    )
    return [
        CommandHandler("start", on_start_link, deep_link),
        InlineQueryHandler(on_inline_query),
        ChosenInlineResultHandler(on_chosen),
    ]
