"""Telegram update handlers: each parses an update, checks permissions and calls the service."""

from __future__ import annotations

from bot.telegram.handlers import (
    callbacks,
    channel_settings,
    channels,
    commands,
    edits,
    errors,
    feed_presence,
    feeds,
    group_intro,
    inline,
    messages,
    owner,
    settings,
)
from bot.telegram.runtime import BriefApplication


def register_handlers(application: BriefApplication) -> None:
    """All handlers in the order they are tried (commands before plain messages)."""
    migration = messages.migration_handler()
    application.add_handler(migration, group=-1)
    for handler in (
        *inline.handlers(),
        *commands.handlers(),
        *channel_settings.handlers(),
        *settings.handlers(),
        *group_intro.handlers(),
        *feeds.handlers(),
        *owner.handlers(),
        callbacks.handler(),
        *channels.handlers(),
        *messages.handlers(),
        *edits.handlers(),
        commands.fallback_handler(),
    ):
        application.add_handler(handler)
    for handler in feed_presence.handlers():
        application.add_handler(handler, group=feed_presence.PRESENCE_GROUP)
    application.add_error_handler(errors.on_error)
    feeds.schedule(application)
