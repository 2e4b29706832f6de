"""Chat settings and their rules: one definition of every option's allowed values.

The config's ``[defaults]``, the settings menu, ``/settings KEY VALUE``, the buttons under a
summary and the storage adapters all take the ranges and choices from here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Protocol

GroupMode = Literal["auto", "mention", "off"]
GROUP_MODES: tuple[GroupMode, ...] = ("auto", "mention", "off")
#: A summary's length in sentences, wherever it is set (config, menu, command, buttons).
MIN_SENTENCES, MAX_SENTENCES = 1, 50


def clamp_sentences(value: int) -> int:
    """``value`` inside the allowed range (Shorter/Longer never step outside it)."""
    return max(MIN_SENTENCES, min(MAX_SENTENCES, value))


def valid_sentences(value: int) -> bool:
    return MIN_SENTENCES <= value <= MAX_SENTENCES


def toggle_language(current: tuple[str, ...], code: str) -> tuple[str, ...]:
    """Add or remove ``code``; a chat always keeps at least one language."""
    if code in current:
        rest = tuple(c for c in current if c != code)
        return rest or current
    return (*current, code)


class SettingsDefaults(Protocol):
    """What ``[defaults]`` provides (``bot.config.DefaultsConfig`` fits)."""

    @property
    def target_languages(self) -> tuple[str, ...]: ...
    @property
    def summary_sentences(self) -> int: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def group_mode(self) -> str: ...
    @property
    def show_source(self) -> bool: ...


@dataclass(frozen=True)
class ChatSettings:
    """Effective settings of a chat; ``ui_language`` None = follow the user's Telegram language."""

    chat_id: int
    target_languages: tuple[str, ...]
    summary_sentences: int
    algorithm: str
    group_mode: str
    show_source: bool
    ui_language: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_languages", tuple(self.target_languages))
        object.__setattr__(self, "algorithm", str(self.algorithm))
        object.__setattr__(self, "group_mode", str(self.group_mode))


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(ChatSettings) if f.name != "chat_id")


def default_settings(chat_id: int, defaults: SettingsDefaults) -> ChatSettings:
    return ChatSettings(
        chat_id=chat_id,
        target_languages=defaults.target_languages,
        summary_sentences=defaults.summary_sentences,
        algorithm=defaults.algorithm,
        group_mode=defaults.group_mode,
        show_source=defaults.show_source,
    )
