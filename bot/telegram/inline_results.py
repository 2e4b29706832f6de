"""Inline mode's answers rendered for the Bot API: one article result per summary language
(the message it posts is that language's summary), or a button to the private chat."""

from __future__ import annotations

import dataclasses

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot.config import LimitsConfig
from bot.core.inline import InlineOffer
from bot.core.views import SummaryView
from bot.telegram.formatting import language_name
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
        single = dataclasses.replace(view, targets=(lang,), show_source=False)
        bullets = view.result.summaries[lang]
        title = view.result.title or view.result.url or ""
        results.append(
            InlineQueryResultArticle(
                id=f"{view.menu.doc_key}-{lang}"[:64],
                title=t("inline.result_title", view.ui, language=language_name(lang, view.ui)),
                description=f"{title}\n{bullets[0] if bullets else ''}"[:DESCRIPTION_CHARS],
                input_message_content=InputTextMessageContent(
                    render_html(single, limits),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
            )
        )
    return results


def offer_button(offer: InlineOffer, ui: str) -> InlineQueryResultsButton | None:
    """The button above the results that switches to the private chat (None for a hit)."""
    if offer.kind == "cached":
        return None
    if offer.kind == "start" and offer.payload is not None:
        return InlineQueryResultsButton(t("inline.open_private", ui), start_parameter=offer.payload)
    key = {"blocked": "inline.blocked", "refused": "inline.too_fast"}.get(offer.kind, "inline.help")
    return InlineQueryResultsButton(t(key, ui), start_parameter=HELP_PAYLOAD)
