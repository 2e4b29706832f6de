"""The bot's texts: both languages complete and consistent, with safe fallbacks."""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter

import pytest
from telegram import InlineKeyboardMarkup

from bot.core.settings import GROUP_MODES
from bot.telegram import i18n
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.i18n import DE, EN, pick_ui_language, t
from bot.telegram.keyboards import algorithm_keyboard, mode_keyboard
from translation.domain import Algorithm


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_every_key_exists_in_both_languages() -> None:
    assert set(EN) == set(DE)


@pytest.mark.parametrize("key", sorted(EN))
def test_placeholders_match_and_texts_are_real(key: str) -> None:
    assert placeholders(EN[key]) == placeholders(DE[key]), key
    assert all(name.isidentifier() for name in placeholders(EN[key])), key
    for template in (EN[key], DE[key]):
        assert template.strip() and template == template.strip()
        assert "<" not in template and "&" not in template  # plain text; callers escape


def test_german_is_actually_translated() -> None:
    identical = {k for k in EN if EN[k] == DE[k] and len(EN[k]) > 12}
    assert identical <= set(i18n.SHARED)


@pytest.mark.parametrize("ui", ["en", "de"])
def test_settings_offer_a_label_for_every_algorithm_and_group_mode(ui: str) -> None:
    """Each choice in the algorithm and group-mode menus has its own label in the user's
    language, and the button carries that choice (not the key, not a neighbour's label)."""
    codec = CallbackCodec(derive_secret("123456:TEST-token"))
    table = {"en": EN, "de": DE}[ui]
    menus: list[tuple[str, list[str], Callable[..., InlineKeyboardMarkup], str]] = [
        ("algo", [a.value for a in Algorithm], algorithm_keyboard, "settings.algorithm"),
        ("mode", [str(mode) for mode in GROUP_MODES], mode_keyboard, "settings.mode"),
    ]
    for action, values, keyboard, prefix in menus:
        labels = {value: table[f"{prefix}.{value}"] for value in values}
        assert len(set(labels.values())) == len(values), labels  # no two choices look alike
        assert not any(label.startswith(prefix) for label in labels.values())
        markup = keyboard(codec, -100, ui, current="none-selected")
        shown = {
            button.text: codec.decode(str(button.callback_data), -100)
            for row in markup.inline_keyboard
            for button in row
        }
        for value, label in labels.items():
            assert shown[label].action == action and shown[label].args == (value,), label
    assert t("settings.mode.off", "de") == "Aus"
    assert t("settings.algorithm.lead", "de") == "Erste Sätze (Lead)"


def test_command_descriptions_fit_telegram_limits() -> None:
    for key in (k for k in EN if k.startswith("command.")):
        for ui in ("en", "de"):
            assert 3 <= len(t(key, ui)) <= 256


def test_formatting_and_fallbacks() -> None:
    assert t("progress.translating", "de", languages="EN, FR") == "Übersetze nach EN, FR…"
    assert t("progress.translating", "fr", languages="EN") == "Translating to EN…"
    assert t("error.busy", "") == EN["error.busy"]
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(KeyError):
        t("error.file_too_large", "en")  # a placeholder value is missing


def test_missing_german_key_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(i18n.DE, "error.busy")
    assert t("error.busy", "de") == EN["error.busy"]


@pytest.mark.parametrize(
    ("code", "override", "expected"),
    [
        ("de", None, "de"),
        ("de-AT", None, "de"),
        ("de_CH", None, "de"),
        ("DE", None, "de"),
        ("en-GB", None, "en"),
        ("fr", None, "en"),
        (None, None, "en"),
        ("", None, "en"),
        ("de", "en", "en"),
        ("en", "de", "de"),
        ("de", "fr", "de"),  # an unsupported override is ignored
    ],
)
def test_pick_ui_language(code: str | None, override: str | None, expected: str) -> None:
    assert pick_ui_language(code, override) == expected
