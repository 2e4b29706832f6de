"""The core's views as Telegram HTML: the one place that decides how an answer looks."""

from __future__ import annotations

from bot.config import LimitsConfig
from bot.core.views import (
    Failure,
    LiveSummaryView,
    ProgressView,
    Refusal,
    RestartApology,
    SummaryView,
    TranslationView,
    View,
)
from bot.telegram.error_messages import error_html
from bot.telegram.formatting import (
    MESSAGE_LIMIT,
    full_translation_header,
    language_name,
    render_full_translation,
    render_summary,
    render_text,
    utf16_len,
)


def progress_html(view: ProgressView) -> str:
    if view.stage == "translating_full":
        name = language_name(view.languages[0], view.ui) if view.languages else ""
        return render_text("progress.translating_full", view.ui, language=name)
    if view.stage == "translating":
        languages = ", ".join(code.upper() for code in view.languages)
        return render_text("progress.translating", view.ui, languages=languages)
    return render_text(f"progress.{view.stage}", view.ui)


def live_summary_html(view: LiveSummaryView) -> str:
    """The summary so far, then which languages are still being translated (left out when
    the message would be too long with it: the summary matters more)."""
    html = render_summary(view.result, view.shown, view.ui, show_source=False)
    note = progress_html(ProgressView("translating", view.ui, view.pending))
    combined = f"{html}\n\n{note}"
    return combined if utf16_len(combined) <= MESSAGE_LIMIT else html


def folded_translation_html(html: str, view: TranslationView) -> str:
    """A full translation that fits in one message, its text folded (an expandable
    blockquote: a group sees the heading, not a wall of text); unchanged when it would not
    fit folded."""
    header = full_translation_header(view.translation, view.ui) + "\n\n"
    if not html.startswith(header) or html == header:
        return html
    folded = f"{header}<blockquote expandable>{html[len(header) :]}</blockquote>"
    return folded if utf16_len(folded) <= MESSAGE_LIMIT else html


def render_html(view: View, limits: LimitsConfig) -> str:
    """One message's HTML for ``view`` (a long full translation: its first part)."""
    if isinstance(view, ProgressView):
        return progress_html(view)
    if isinstance(view, SummaryView):
        return render_summary(view.result, view.targets, view.ui, view.show_source)
    if isinstance(view, LiveSummaryView):
        return live_summary_html(view)
    if isinstance(view, TranslationView):
        return render_full_translation(view.translation, view.ui)[0]
    if isinstance(view, Refusal):
        return render_text(f"error.{view.reason}", view.ui)
    if isinstance(view, Failure):
        return error_html(view.error, view.ui, limits)
    if isinstance(view, RestartApology):
        return render_text("error.restart_apology", view.ui)
    raise TypeError(f"no rendering for {type(view).__name__}")
