"""Logging for the bot process, with secrets (bot token, webhook secret) never written out.

httpx logs every request URL, and Telegram Bot API URLs contain the token
(``/bot<token>/sendMessage``). Instead of a filter on each handler (which misses handlers
added later, e.g. pytest's caplog), redaction happens where records are born: a record
factory formats the message eagerly and replaces every secret with ``<redacted>``, so no
handler anywhere can see the original text.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from telegram.error import NetworkError

REDACTED = "<redacted>"
#: Loggers that are chatty at INFO and add nothing an operator needs.
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "aiosqlite")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor:
    """Replaces secrets in text; secrets shorter than 6 characters are ignored as unsafe."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def _redacting_factory(
    previous: Callable[..., logging.LogRecord], redact: Redactor
) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _compact_network_error(record)
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


def _compact_network_error(record: logging.LogRecord) -> None:
    """PTB logs an unreachable Bot API with a full traceback on every retry; that is an
    expected condition (network down, wrong api_base_url), so one line says it."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, NetworkError) and record.name.startswith("telegram"):
        record.msg = f"{record.getMessage()} ({type(exc).__name__}: {exc.message})"
        record.args = None
        record.exc_info = None


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
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return install_redaction(secrets)
