"""Per-chat settings. A private chat's id is its user's id, so user settings are chat settings.

Only what a chat chose is stored; a NULL column follows the configured default, so an operator
changing ``[defaults]`` reaches every chat that never touched that setting.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

from bot.core.settings import (
    GROUP_MODES,
    SETTING_NAMES,
    ChatSettings,
    SettingsDefaults,
    default_settings,
)
from bot.storage.sql import Database, Session, lock_row


def _checked(name: str, value: Any) -> Any:
    """Guard the table against programming errors (callers validate user input first)."""
    if name == "target_languages":
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"target_languages must be a sequence of codes, got {value!r}")
        return tuple(dict.fromkeys(value))
    if name == "summary_sentences":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"summary_sentences must be a positive int, got {value!r}")
    elif name == "show_source":
        if not isinstance(value, bool):
            raise ValueError(f"show_source must be a bool, got {value!r}")
    elif name == "group_mode":
        if value not in GROUP_MODES:
            raise ValueError(f"group_mode must be one of {GROUP_MODES}, got {value!r}")
        return str(value)
    elif name == "algorithm":
        if not isinstance(value, str) or not value:
            raise ValueError(f"algorithm must be a name, got {value!r}")
        return str(value)
    elif name == "ui_language":
        if value is not None and not isinstance(value, str):
            raise ValueError(f"ui_language must be a code or None, got {value!r}")
    else:
        raise TypeError(f"unknown chat setting {name!r}")
    return value


def _to_column(name: str, value: Any) -> Any:
    if name == "target_languages":
        return json.dumps(list(value))
    if name == "show_source":
        return int(value)
    return value


def _from_row(chat_id: int, row: Any, defaults: SettingsDefaults) -> ChatSettings:
    settings = default_settings(chat_id, defaults)
    if row is None:
        return settings
    stored: dict[str, Any] = {}
    for name in SETTING_NAMES:
        value = row[name]
        if value is None:
            continue
        if name == "target_languages":
            value = tuple(json.loads(value))
        elif name == "show_source":
            value = bool(value)
        stored[name] = value
    return dataclasses.replace(settings, **stored)


async def _write(tx: Session, chat_id: int, values: dict[str, Any]) -> None:
    columns = list(values)
    assignments = ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at"))
    await tx.execute(
        f"INSERT INTO chat_settings (chat_id, {', '.join(columns)}, updated_at) "
        f"VALUES (?, {', '.join('?' for _ in columns)}, ?) "
        f"ON CONFLICT (chat_id) DO UPDATE SET {assignments}",
        (chat_id, *(_to_column(c, values[c]) for c in columns), time.time()),
    )


async def move_chat_settings(tx: Session, old_chat_id: int, new_chat_id: int) -> None:
    """Group → supergroup: the old chat's settings move unless the new chat already has some."""
    await tx.execute(
        "UPDATE chat_settings SET chat_id = ? WHERE chat_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM chat_settings WHERE chat_id = ?)",
        (new_chat_id, old_chat_id, new_chat_id),
    )
    await tx.execute("DELETE FROM chat_settings WHERE chat_id = ?", (old_chat_id,))


class SettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_chat_settings(self, chat_id: int, defaults: SettingsDefaults) -> ChatSettings:
        """The chat's settings, with ``defaults`` for everything it never chose."""
        row = await self._db.fetchone("SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,))
        return _from_row(chat_id, row, defaults)

    async def save_chat_settings(self, settings: ChatSettings) -> None:
        """Store every field as the chat's own choice (later default changes will not apply)."""
        values = {n: _checked(n, getattr(settings, n)) for n in SETTING_NAMES}
        async with self._db.transaction() as tx:
            await _write(tx, settings.chat_id, values)

    async def update_chat_settings(
        self, chat_id: int, defaults: SettingsDefaults, **changes: Any
    ) -> ChatSettings:
        """Change some settings atomically and return the result.

        A value may be a function of the current value (e.g. toggling one language), applied
        inside the write transaction, so concurrent button presses never lose an update.
        """
        for name in changes:
            if name not in SETTING_NAMES:
                raise TypeError(f"unknown chat setting {name!r}")
        async with self._db.transaction() as tx:
            # An empty row (all NULL: "follow the defaults") is locked, so concurrent writers of
            # a new chat queue up behind each other.
            await lock_row(tx, "chat_settings", "chat_id", chat_id, updated_at=time.time())
            row = await tx.fetchone("SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,))
            current = _from_row(chat_id, row, defaults)
            values = {
                name: _checked(name, _apply(change, getattr(current, name)))
                for name, change in changes.items()
            }
            if values:
                await _write(tx, chat_id, values)
        return dataclasses.replace(current, **values)

    async def reset_chat_settings(self, chat_id: int) -> None:
        """Forget the chat's choices: it follows the defaults again."""
        await self._db.execute("DELETE FROM chat_settings WHERE chat_id = ?", (chat_id,))


def _apply(change: Any, current: Any) -> Any:
    if callable(change):
        fn: Callable[[Any], Any] = change
        return fn(current)
    return change
