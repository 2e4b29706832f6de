"""What to tell a user about a failure, in their language, as one short HTML line."""

from __future__ import annotations

from bot.config import LimitsConfig
from bot.core.requests import EmptyMessage, NotATextFile, UnsupportedContent
from bot.storage import StorageError
from bot.telegram.formatting import format_number, human_bytes, language_name, render_error
from bot.telegram.i18n import t
from translation import (
    BinaryInputError,
    BriefbotError,
    FetchError,
    LanguageUncertainError,
    LimitExceededError,
    ModelLoadError,
    ModelMissingError,
    NoTextError,
)


def _limit_text(exc: LimitExceededError, ui: str, limits: LimitsConfig) -> str:
    if exc.limit == "max_file_bytes":
        return t("error.file_too_large", ui, limit=human_bytes(limits.max_file_bytes, ui))
    if exc.limit == "max_text_chars":
        return t("error.text_too_long", ui, limit=format_number(limits.max_text_chars, ui))
    if exc.limit == "max_sentences":
        return t("error.too_many_sentences", ui, limit=format_number(limits.max_sentences, ui))
    return exc.message


# Reasons about the link itself rather than the site: "I can't open this link: …".
_LINK_REASONS = frozenset({"blocked", "invalid_url", "scheme"})


def _fetch_text(exc: FetchError, ui: str) -> str:
    """Why a link failed, in the user's language; the English message when the reason is not
    one the bot has a text for."""
    key = f"fetch.{exc.reason}"
    if exc.reason == "not_a_page" and not exc.details.get("content_type"):
        key = "fetch.not_a_page_untyped"
    try:
        reason = t(key, ui, **_localized_details(exc.details, ui))
    except KeyError:  # no reason, an unknown one, or a detail its text needs is missing
        reason = exc.message
    frame = "error.link_refused" if exc.reason in _LINK_REASONS else "error.fetch_failed"
    return t(frame, ui, reason=reason)


def _localized_details(details: dict[str, str], ui: str) -> dict[str, str]:
    """Raw numbers in ``details`` written the way the UI language writes them."""
    shown = dict(details)
    try:
        if "max_bytes" in details:
            shown["max_bytes"] = human_bytes(int(details["max_bytes"]), ui)
        if "seconds" in details:
            shown["seconds"] = format_number(float(details["seconds"]), ui)
        if "limit" in details:
            shown["limit"] = format_number(int(details["limit"]), ui)
    except ValueError:  # not a number after all: show it as it came
        return dict(details)
    return shown


def error_text(exc: BaseException, ui: str, limits: LimitsConfig) -> str:
    """Plain text for ``exc``: a known failure explained, anything else a generic apology."""
    if isinstance(exc, LimitExceededError):
        return _limit_text(exc, ui, limits)
    if isinstance(exc, EmptyMessage):
        return t("error.empty", ui)
    if isinstance(exc, UnsupportedContent):
        return t("error.unsupported_content", ui)
    if isinstance(exc, NotATextFile):
        return t("error.not_text_file", ui, kind=exc.file_kind)
    if isinstance(exc, BinaryInputError):
        return t("error.binary_file", ui)
    if isinstance(exc, NoTextError):
        return t("error.no_sentences", ui)
    if isinstance(exc, LanguageUncertainError):
        return t("error.language_uncertain", ui)
    if isinstance(exc, ModelMissingError):
        if not exc.source:
            return exc.message
        return t(
            "error.missing_model",
            ui,
            source=language_name(exc.source, ui),
            target=language_name(exc.target, ui),
            packages=", ".join(exc.needed) or exc.message,
        )
    if isinstance(exc, ModelLoadError):
        return t("error.model_broken", ui)
    if isinstance(exc, StorageError):
        return t("error.storage", ui)
    if isinstance(exc, FetchError):
        return _fetch_text(exc, ui)
    if isinstance(exc, TimeoutError):
        return t("error.timeout", ui)
    if isinstance(exc, BriefbotError):
        return exc.message
    return t("error.internal", ui)


def error_html(exc: BaseException, ui: str, limits: LimitsConfig) -> str:
    return render_error(error_text(exc, ui, limits), ui)
