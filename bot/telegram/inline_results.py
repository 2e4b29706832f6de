"""Inline mode's answers rendered for the Bot API: one article result per summary language
(the message it posts is that language's summary), "Summarizing…" placeholders (a message with
a keyboard, so Telegram gives it an ``inline_message_id`` to edit later), and a button to the
private chat."""

from __future__ import annotations

import dataclasses

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot.config import LimitsConfig
from bot.core.inline import InlineOffer
from bot.core.views import SummaryView, View
from bot.telegram.formatting import escape, language_name
from bot.telegram.i18n import t
from bot.telegram.rendering import render_html

#: Telegram shows about this much of a result's description.
DESCRIPTION_CHARS = 120
#: The button of an answer without results opens the private chat with this /start payload.
HELP_PAYLOAD = "inline"


def summary_results(view: SummaryView, limits: LimitsConfig) -> list[InlineQueryResultArticle]:
    """One result per target language that has a summary; the source language is one too."""
    languages = [lang for lang in view.targets if lang in view.result.summaries]
    results = []
    for lang in languages:
        bullets = view.result.summaries[lang]
        title = view.result.title or view.result.url or ""
        results.append(
            InlineQueryResultArticle(
                id=f"{view.menu.doc_key}-{lang}"[:64],
                title=t("inline.result_title", view.ui, language=language_name(lang, view.ui)),
                description=f"{title}\n{bullets[0] if bullets else ''}"[:DESCRIPTION_CHARS],
                input_message_content=_html_content(single_language_html(view, lang, limits)),
            )
        )
    return results


def single_language_html(view: SummaryView, lang: str, limits: LimitsConfig) -> str:
    """The summary in ``lang`` alone (all of it when ``lang`` has no summary)."""
    if lang not in view.result.summaries:
        return render_html(view, limits)
    return render_html(dataclasses.replace(view, targets=(lang,), show_source=False), limits)


def _html_content(html: str) -> InputTextMessageContent:
    return InputTextMessageContent(
        html, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def private_chat_url(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def placeholder_results(
    offer: InlineOffer, ui: str, bot_username: str
) -> list[InlineQueryResultArticle]:
    """One "Summarizing…" result per language of an uncached link: posting it posts a
    placeholder that the bot edits into the summary (the keyboard keeps the deep link)."""
    if offer.kind != "start" or offer.payload is None:
        return []
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("inline.open_private", ui),
                    url=private_chat_url(bot_username, offer.payload),
                )
            ]
        ]
    )
    text = f"⏳ {escape(t('inline.placeholder_text', ui))}\n{escape(offer.url)}"
    return [
        InlineQueryResultArticle(
            id=offer.placeholder_id(lang),
            title=t("inline.placeholder_title", ui, language=language_name(lang, ui)),
            description=t("inline.placeholder_description", ui),
            input_message_content=_html_content(text),
            reply_markup=keyboard,
        )
        for lang in offer.languages
    ]


def fulfilment_html(answer: View | None, lang: str, limits: LimitsConfig, ui: str) -> str:
    """What a placeholder becomes: the summary in its language, a friendly reason, or (None)
    the expired link's text."""
    if answer is None:
        return escape(t("inline.expired", ui))
    if isinstance(answer, SummaryView):
        return single_language_html(answer, lang, limits)
    return render_html(answer, limits)


def offer_button(offer: InlineOffer, ui: str) -> InlineQueryResultsButton | None:
    """The button above the results that switches to the private chat (None for a hit)."""
    if offer.kind == "cached":
        return None
    if offer.kind == "start" and offer.payload is not None:
        return InlineQueryResultsButton(t("inline.open_private", ui), start_parameter=offer.payload)
    key = {"blocked": "inline.blocked", "refused": "inline.too_fast"}.get(offer.kind, "inline.help")
    return InlineQueryResultsButton(t(key, ui), start_parameter=HELP_PAYLOAD)
