"""Logging for the bot process, with secrets (bot token, webhook secret) never written out.

httpx logs every request URL, and Telegram Bot API URLs contain the token
(``/bot<token>/sendMessage``). Instead of a filter on each handler (which misses handlers
added later, e.g. pytest's caplog), redaction happens where records are born: a record
factory formats the message eagerly and replaces every secret with ``<redacted>``, so no
handler anywhere can see the original text. Matching ignores case (PTB capitalizes error
messages, proxies lower-case paths) and also catches the URL-encoded form and the token's
secret half on its own.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from telegram.error import InvalidToken, TelegramError

REDACTED = "<redacted>"
#: Loggers that are chatty at INFO and add nothing an operator needs.
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiosqlite")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The logger of PTB's bootstrap retry loop (``telegram.ext._utils.networkloop``).
PTB_RETRY_LOGGER = "telegram.ext"


class Redactor:
    """Replaces secrets in text, in any letter case and URL-encoded too; secrets shorter than
    6 characters are ignored as unsafe."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        spellings = {form for s in self.secrets for form in (s, quote(s, safe=""))}
        alternatives = "|".join(re.escape(f) for f in sorted(spellings, key=len, reverse=True))
        self._pattern = re.compile(alternatives, re.IGNORECASE) if alternatives else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text


def bot_secrets(token: str, webhook_secret: str | None) -> list[str]:
    """What must never be written out: the token, its secret half alone, the webhook secret."""
    return [token, token.partition(":")[2], webhook_secret or ""]


def _redacting_factory(
    previous: Callable[..., logging.LogRecord], redact: Redactor
) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _compact_telegram_error(record)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_text = record.exc_text.rstrip("\n")
            record.exc_info = None
        return record

    factory.briefbot_redaction = True  # type: ignore[attr-defined]
    factory.previous = previous  # type: ignore[attr-defined]
    return factory


def _compact_telegram_error(record: logging.LogRecord) -> None:
    """PTB logs an unreachable Bot API, a rejected token or a 409 Conflict with a full
    traceback (on every retry); those are answers of the Bot API, not bugs, so one line says
    it and the CLI's own one-line error follows."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, TelegramError) and record.name.startswith("telegram"):
        record.telegram_error = type(exc).__name__
        record.msg = f"{record.getMessage()} ({type(exc).__name__}: {exc.message})"
        record.args = None
        record.exc_info = None


def _not_a_rejected_token(record: logging.LogRecord) -> bool:
    """PTB's line about a rejected token says what the CLI's one-line error says next."""
    return getattr(record, "telegram_error", None) != InvalidToken.__name__


def install_redaction(secrets: Iterable[str]) -> Callable[[], None]:
    """Redact ``secrets`` from every log record created from now on; returns an undo function."""
    previous = logging.getLogRecordFactory()
    factory = _redacting_factory(previous, Redactor(secrets))
    logging.setLogRecordFactory(factory)

    def uninstall() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    return uninstall


def setup_logging(level: str, secrets: Iterable[str]) -> Callable[[], None]:
    """Configure the root logger for ``briefbot run`` and install redaction of ``secrets``."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    retry_loop = logging.getLogger(PTB_RETRY_LOGGER)
    if _not_a_rejected_token not in retry_loop.filters:
        retry_loop.addFilter(_not_a_rejected_token)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return install_redaction(secrets)
