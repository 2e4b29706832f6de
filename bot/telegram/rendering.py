"""The core's views as Telegram HTML: the one place that decides how an answer looks."""

from __future__ import annotations

from bot.config import LimitsConfig
from bot.core.views import (
    Failure,
    FeedArticleView,
    FeedDigestView,
    FeedPausedView,
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
    escape,
    full_translation_header,
    language_name,
    render_full_translation,
    render_summary,
    render_text,
    truncate,
    utf16_len,
)


def progress_html(view: ProgressView) -> str:
    if view.stage == "translating_full":
        name = language_name(view.languages[0], view.ui) if view.languages else ""
        return render_text("progress.translating_full", view.ui, language=name)
    if view.stage == "translating":
        languages = ", ".join(language_name(code, view.ui) for code in view.languages)
        return render_text("progress.translating", view.ui, languages=languages)
    if view.stage == "queued":
        return render_text("progress.queued", view.ui, position=view.position)
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


def render_html(view: View, limits: LimitsConfig, operator: bool = False) -> str:
    """One message's HTML for ``view`` (a long full translation: its first part); an
    ``operator`` also sees what to install when a model is missing."""
    if isinstance(view, ProgressView):
        return progress_html(view)
    if isinstance(view, SummaryView):
        return render_summary(view.result, view.targets, view.ui, view.show_source, operator)
    if isinstance(view, LiveSummaryView):
        return live_summary_html(view)
    if isinstance(view, TranslationView):
        return render_full_translation(view.translation, view.ui)[0]
    if isinstance(view, Refusal):
        return render_text(f"error.{view.reason}", view.ui)
    if isinstance(view, Failure):
        return error_html(view.error, view.ui, limits, operator)
    if isinstance(view, RestartApology):
        return render_text("error.restart_apology", view.ui)
    if isinstance(view, FeedArticleView):
        return feed_article_html(view)
    if isinstance(view, FeedDigestView):
        return feed_digest_html(view)
    if isinstance(view, FeedPausedView):
        return render_text(
            "feeds.paused_notice", view.ui, title=view.feed_title, error=_error_line(view.error)
        )
    raise TypeError(f"no rendering for {type(view).__name__}")


def _error_line(error: BaseException) -> str:
    return str(getattr(error, "message", error))


def feed_article_html(view: FeedArticleView) -> str:
    """A feed article: its summary (which links the title) or, without one, the linked title;
    then the feed it came from."""
    source = render_text("feeds.source", view.ui, feed=view.feed_title)
    if view.summary is not None:
        summary = view.summary
        body = render_summary(summary.result, summary.targets, view.ui, summary.show_source)
        if utf16_len(body) + utf16_len(source) + 9 <= MESSAGE_LIMIT:
            return f"{body}\n\n<i>{source}</i>"
        return body
    title = escape(truncate(view.title, 500))
    return f'<b><a href="{escape(view.url)}">{title}</a></b>\n<i>{source}</i>'


def _link(title: str, url: str, budget: int) -> str:
    return f'<a href="{escape(url)}">{escape(truncate(title, budget))}</a>'


def feed_digest_html(view: FeedDigestView) -> str:
    """One digest message: top articles as a linked title, its sentences and the source; the
    others as a bulleted list of links. Budgets keep any part within one message."""
    lines = []
    if view.first:
        lines.append(f"<b>{render_text('feeds.digest_title', view.ui, count=view.total)}</b>")
    for entry in view.entries:
        source = escape(truncate(entry.feed_title, 80))
        if entry.sentences:
            text = escape(truncate(" ".join(entry.sentences), 700))
            lines.append(f"\n<b>{_link(entry.title, entry.url, 200)}</b>\n{text}\n<i>{source}</i>")
        else:
            lines.append(f"• {_link(entry.title, entry.url, 150)} — <i>{source}</i>")
    return "\n".join(lines)
