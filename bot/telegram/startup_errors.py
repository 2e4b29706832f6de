"""What ``briefbot run`` says when the Bot API refuses to start it: one line, no token.

The Bot API's answers at start end up in the CLI's last stderr line, and they may quote the
request path, which holds the token: a 502 page from a proxy, a 400 description. Every such
line goes through the redactor and is cut to a readable length. A 409 Conflict (another
process polls with this token, or a webhook is set) gets an exit code of its own, 6.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram.error import Conflict, TelegramError

from translation.errors import BriefbotError

#: Longest Bot API detail quoted in a start-up error (an HTML error page can be kilobytes).
MAX_DETAIL_CHARS = 200


class BotApiConflictError(BriefbotError):
    """409 Conflict at start: another instance uses the token, or a webhook is active."""

    exit_code = 6
    kind = "bot-api-conflict"


class BotApiRefusedError(BriefbotError):
    """The Bot API answered, but refused the start (400 or another error)."""

    exit_code = 4
    kind = "bot-api"


def describe(exc: TelegramError, redact: Callable[[str], str]) -> str:
    """The Bot API's own words, redacted, on one line and shortened."""
    detail = " ".join(redact(exc.message).split())
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
    return detail


def refused_at_start(
    exc: TelegramError, api_base_url: str, redact: Callable[[str], str]
) -> BriefbotError:
    """The one-line error for a Bot API answer that stops ``briefbot run``."""
    detail = describe(exc, redact)
    if isinstance(exc, Conflict):
        return BotApiConflictError(
            f"Another process is using this bot token ({detail}); stop the other instance "
            "(or delete its webhook) and start again"
        )
    return BotApiRefusedError(f"The Telegram Bot API at {api_base_url} refused to start: {detail}")
