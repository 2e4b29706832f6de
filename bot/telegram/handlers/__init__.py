"""Telegram update handlers: each turns an update into a service call or a short answer."""

from __future__ import annotations

from telegram.ext import Application

from bot.telegram.handlers import callbacks, commands, errors, messages, owner, settings


def register_handlers(application: Application) -> None:
    """All handlers in the order they are tried (commands before plain messages)."""
    migration = messages.migration_handler()
    application.add_handler(migration, group=-1)
    for handler in (
        *commands.handlers(),
        *settings.handlers(),
        *owner.handlers(),
        callbacks.handler(),
        *messages.handlers(),
        commands.fallback_handler(),
    ):
        application.add_handler(handler)
    application.add_error_handler(errors.on_error)
