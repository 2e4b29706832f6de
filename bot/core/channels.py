"""Channel rules: a channel's mode and languages live in its own chat settings.

``comment``: posts with links or long texts are summarized into the linked discussion group,
as a reply to the post's automatic forward; ``off`` (the default): nothing. The mode is kept in
the channel's ``group_mode`` column (``auto`` = comment), so channels need no table of their
own and follow the settings store's backups, migrations and defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.core.settings import ChatSettings

ChannelMode = Literal["comment", "off"]
CHANNEL_MODES: tuple[ChannelMode, ...] = ("comment", "off")


def channel_mode(settings: ChatSettings) -> ChannelMode:
    return "comment" if settings.group_mode == "auto" else "off"


def channel_changes(mode: ChannelMode | None, languages: tuple[str, ...] | None) -> dict[str, Any]:
    """The settings changes that set a channel's mode and/or languages."""
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["group_mode"] = "auto" if mode == "comment" else "off"
    if languages:
        changes["target_languages"] = languages
    return changes
