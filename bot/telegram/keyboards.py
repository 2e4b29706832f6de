"""Inline keyboards: the buttons under a summary and the /settings menu.

Every button's callback data is made by the CallbackCodec for the chat it is shown in. A
summary button names its result by a ``ResultRef`` (document key, length, original shown), so
pressing it needs no server-side state beyond the cached document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.settings import GROUP_MODES, MIN_SENTENCES, valid_sentences
from bot.core.views import ResultMenu
from bot.telegram.callback_data import CallbackCodec, CallbackPayload, for_channel
from bot.telegram.formatting import language_name
from bot.telegram.i18n import t
from translation import Algorithm

#: The settings menu offers 1..10 sentences (and the current length when a default is longer);
#: ``/settings length N`` reaches the whole range.
LENGTH_MENU_MAX = 10
_REF = re.compile(r"([0-9a-f]{16})-(\d{1,2})-([01])")


@dataclass(frozen=True)
class ResultRef:
    """Which summary a button belongs to; encoded as ``<doc key>-<sentences>-<0|1>``."""

    doc_key: str
    sentences: int
    show_source: bool

    def encode(self) -> str:
        return f"{self.doc_key}-{self.sentences}-{int(self.show_source)}"

    @classmethod
    def parse(cls, text: str) -> ResultRef | None:
        match = _REF.fullmatch(text)
        if match is None:
            return None
        sentences = int(match.group(2))
        if not valid_sentences(sentences):
            return None
        return cls(match.group(1), sentences, match.group(3) == "1")


def _button(
    codec: CallbackCodec,
    chat_id: int,
    label: str,
    action: str,
    *args: str,
    channel: int | None = None,
) -> InlineKeyboardButton:
    """A button shown in ``chat_id``; with ``channel``, a settings action on that channel."""
    payload = CallbackPayload(action, tuple(args))
    if channel is not None:
        payload = for_channel(channel, payload)
    return InlineKeyboardButton(label, callback_data=codec.encode(payload, chat_id))


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def result_keyboard(
    menu: ResultMenu, chat_id: int, codec: CallbackCodec
) -> InlineKeyboardMarkup | None:
    """Full translation per target language, original summary, shorter, longer.

    A target in the source language has nothing to translate, and when the source language
    is a target (or nothing is translated) the original is already shown: no buttons then.
    None when no button is left (a one-sentence text without translation)."""
    ui = menu.ui
    ref = ResultRef(menu.doc_key, menu.sentences, menu.show_source).encode()
    translated = [lang for lang in menu.targets if lang != menu.source_language]
    full = [
        _button(
            codec,
            chat_id,
            t("button.full_translation", ui, language=language_name(lang, ui)),
            "full",
            lang,
            ref,
        )
        for lang in translated
    ]
    rows = _rows(full, 2)
    if translated and menu.source_language not in menu.targets:
        label = t("button.translated" if menu.show_source else "button.original", ui)
        rows.append([_button(codec, chat_id, label, "orig", ref)])
    resize = []
    if menu.can_shorter:
        resize.append(_button(codec, chat_id, t("button.shorter", ui), "short", ref))
    if menu.can_longer:
        resize.append(_button(codec, chat_id, t("button.longer", ui), "long", ref))
    if resize:
        rows.append(resize)
    return InlineKeyboardMarkup(rows) if rows else None


# -- /settings ---------------------------------------------------------------------------------


def _checked(label: str, selected: bool, ui: str) -> str:
    return t("settings.option.selected", ui, label=label) if selected else label


def settings_main_keyboard(
    codec: CallbackCodec,
    chat_id: int,
    ui: str,
    *,
    show_source: bool,
    is_group: bool,
    channel: int | None = None,
) -> InlineKeyboardMarkup:
    """The menu's first page; ``channel``: the group is that channel's discussion group, and
    a button leads to the channel's own settings."""

    def nav(key: str, page: str) -> InlineKeyboardButton:
        return _button(codec, chat_id, t(key, ui), "nav", page)

    rows = [
        [nav("settings.button.languages", "langs"), nav("settings.button.length", "length")],
        [nav("settings.button.algorithm", "algo")],
    ]
    if is_group:
        rows[1].append(nav("settings.button.group_mode", "mode"))
    source_key = (
        "settings.button.show_source_on" if show_source else "settings.button.show_source_off"
    )
    rows.append([_button(codec, chat_id, t(source_key, ui), "src")])
    if channel is not None:
        label = t("settings.button.channel", ui)
        rows.append([_button(codec, chat_id, label, "nav", "main", channel=channel)])
    rows.append([_button(codec, chat_id, t("settings.button.done", ui), "done")])
    return InlineKeyboardMarkup(rows)


def _with_back(
    codec: CallbackCodec,
    chat_id: int,
    ui: str,
    rows: list[list[InlineKeyboardButton]],
    channel: int | None = None,
) -> InlineKeyboardMarkup:
    back = t("settings.button.back", ui)
    rows.append([_button(codec, chat_id, back, "nav", "main", channel=channel)])
    return InlineKeyboardMarkup(rows)


def languages_keyboard(
    codec: CallbackCodec,
    chat_id: int,
    ui: str,
    available: Iterable[str],
    selected: Sequence[str],
    channel: int | None = None,
) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            codec,
            chat_id,
            _checked(f"{language_name(code, ui)} ({code})", code in selected, ui),
            "lang",
            code,
            channel=channel,
        )
        for code in sorted(available)
    ]
    return _with_back(codec, chat_id, ui, _rows(buttons, 2), channel)


def channel_main_keyboard(
    codec: CallbackCodec, chat_id: int, channel: int, ui: str, *, in_group: bool
) -> InlineKeyboardMarkup:
    """A channel's settings (languages, mode) shown in ``chat_id``: its discussion group,
    which also gets a way back to the group's own settings, or an admin's private chat."""

    def scoped(key: str, action: str, *args: str) -> InlineKeyboardButton:
        return _button(codec, chat_id, t(key, ui), action, *args, channel=channel)

    rows = [
        [
            scoped("settings.button.languages", "nav", "langs"),
            scoped("settings.button.channel_mode", "nav", "mode"),
        ]
    ]
    if in_group:
        rows.append([_button(codec, chat_id, t("settings.button.group", ui), "nav", "main")])
    rows.append([scoped("settings.button.done", "done")])
    return InlineKeyboardMarkup(rows)


def channel_mode_keyboard(
    codec: CallbackCodec, chat_id: int, channel: int, ui: str, current: str
) -> InlineKeyboardMarkup:
    """``comment`` (stored as the ``auto`` group mode) or ``off``."""
    buttons = [
        _button(
            codec,
            chat_id,
            _checked(t(f"settings.channel_mode.{mode}", ui), mode == current, ui),
            "mode",
            value,
            channel=channel,
        )
        for mode, value in (("comment", "auto"), ("off", "off"))
    ]
    return _with_back(codec, chat_id, ui, _rows(buttons, 1), channel)


def length_keyboard(
    codec: CallbackCodec, chat_id: int, ui: str, current: int
) -> InlineKeyboardMarkup:
    choices = sorted({*range(MIN_SENTENCES, LENGTH_MENU_MAX + 1), current})
    buttons = [
        _button(codec, chat_id, _checked(str(n), n == current, ui), "len", str(n)) for n in choices
    ]
    return _with_back(codec, chat_id, ui, _rows(buttons, 5))


def algorithm_keyboard(
    codec: CallbackCodec, chat_id: int, ui: str, current: str
) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            codec,
            chat_id,
            _checked(t(f"settings.algorithm.{a.value}", ui), a.value == current, ui),
            "algo",
            a.value,
        )
        for a in Algorithm
    ]
    return _with_back(codec, chat_id, ui, _rows(buttons, 1))


def mode_keyboard(
    codec: CallbackCodec, chat_id: int, ui: str, current: str
) -> InlineKeyboardMarkup:
    buttons = [
        _button(codec, chat_id, _checked(t(f"settings.mode.{m}", ui), m == current, ui), "mode", m)
        for m in GROUP_MODES
    ]
    return _with_back(codec, chat_id, ui, _rows(buttons, 1))
