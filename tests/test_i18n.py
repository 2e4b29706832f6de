"""The bot's texts: every catalog complete and consistent, plural forms, safe fallbacks."""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from telegram import InlineKeyboardMarkup

from bot.core.settings import GROUP_MODES
from bot.telegram import catalogs
from bot.telegram.callback_data import CallbackCodec, derive_secret
from bot.telegram.formatting import render_text
from bot.telegram.i18n import EN, PLURALS, SHARED, SUPPORTED_UI, TRANSLATED, pick_ui_language, t
from bot.telegram.keyboards import algorithm_keyboard, mode_keyboard
from tests.support.telegram_html import assert_valid_telegram_html
from translation.domain import Algorithm

SHIPPED = ("de", "es", "fr", "it", "pl", "ru", "uk")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def _catalog(language: str) -> Catalog:
    return catalogs.read_catalog(catalogs.po_path(language), language)


def _sample(key: str) -> dict[str, object]:
    """A value for every placeholder, with markup characters to prove they are escaped."""
    template = EN.get(key) or PLURALS[key][1]
    return {
        name: 2 if name in {"count", "sentences", "stalls"} else "<b>&x"
        for name in (placeholders(template))
    }


def test_every_shipped_language_has_a_catalog() -> None:
    assert set(catalogs.languages()) == set(SHIPPED)
    assert ("en", *SHIPPED) == SUPPORTED_UI


def test_the_template_is_extracted_from_the_code_and_every_catalog_is_complete() -> None:
    template = catalogs.build_template(TRANSLATED, PLURALS)
    on_disk = catalogs.read_catalog(catalogs.TEMPLATE)
    assert {(m.context, str(m.id)) for m in on_disk if m.id} == {
        (m.context, str(m.id)) for m in template if m.id
    }, "run: python -m bot.telegram.catalogs extract"
    found = catalogs.problems(template, ((lang, _catalog(lang)) for lang in SHIPPED))
    assert found == []


@pytest.mark.parametrize("language", SHIPPED)
def test_placeholders_match_in_every_form(language: str) -> None:
    catalog = _catalog(language)
    for message in catalog:
        if not message.id:
            continue
        english = [str(e) for e in (message.id if isinstance(message.id, tuple) else [message.id])]
        wanted = set().union(*(placeholders(e) for e in english))
        raw = message.string if isinstance(message.string, tuple) else [message.string]
        strings = [str(s or "") for s in raw]
        assert len(strings) == (catalog.num_plurals if message.pluralizable else 1)
        for text in strings:
            assert placeholders(text) == wanted, (language, message.context, text)
            assert text == text.strip(), (language, message.context)
            assert "<" not in text and "&" not in text, (language, message.context)


@pytest.mark.parametrize("ui", SUPPORTED_UI)
def test_every_message_renders_as_valid_telegram_html(ui: str) -> None:
    for key in [*TRANSLATED, *PLURALS]:
        html = render_text(key, ui, **_sample(key))
        assert_valid_telegram_html(html)
        assert "<b>" not in html, "placeholder values are escaped"


@pytest.mark.parametrize("language", SHIPPED)
def test_each_language_is_actually_translated(language: str) -> None:
    identical = {k for k in TRANSLATED if t(k, language, **_sample(k)) == t(k, "en", **_sample(k))}
    # Proper names and short technical lines may coincide ("Status", "LSA"); prose must not.
    assert len(identical) <= 6, (language, sorted(identical))


def test_plural_forms() -> None:
    assert t("stats.loop_lag", "en", ms="120", stalls=1).endswith("(1 stall over 100 ms)")
    assert t("stats.loop_lag", "en", ms="120", stalls=2).endswith("(2 stalls over 100 ms)")
    assert t("settings.option.sentences", "de", count=1) == "1 Satz"
    assert t("settings.option.sentences", "de", count=4) == "4 Sätze"
    russian = [t("settings.option.sentences", "ru", count=n) for n in (1, 3, 5, 21)]
    assert russian == ["1 предложение", "3 предложения", "5 предложений", "21 предложение"]
    polish = [t("settings.option.sentences", "pl", count=n) for n in (1, 2, 12, 22)]
    assert polish == ["1 zdanie", "2 zdania", "12 zdań", "22 zdania"]
    assert t("settings.option.sentences", "uk", count="1.000") == "1.000 речень"  # formatted


@pytest.mark.parametrize("ui", SUPPORTED_UI)
def test_settings_offer_a_label_for_every_algorithm_and_group_mode(ui: str) -> None:
    """Each choice in the algorithm and group-mode menus has its own label in the user's
    language, and the button carries that choice (not the key, not a neighbour's label)."""
    codec = CallbackCodec(derive_secret("123456:TEST-token"))
    menus: list[tuple[str, list[str], Callable[..., InlineKeyboardMarkup], str]] = [
        ("algo", [a.value for a in Algorithm], algorithm_keyboard, "settings.algorithm"),
        ("mode", [str(mode) for mode in GROUP_MODES], mode_keyboard, "settings.mode"),
    ]
    for action, values, keyboard, prefix in menus:
        labels = {value: t(f"{prefix}.{value}", ui) for value in values}
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
        for ui in SUPPORTED_UI:
            assert 3 <= len(t(key, ui)) <= 256


def test_formatting_and_fallbacks() -> None:
    assert t("progress.translating", "de", languages="Englisch") == "Übersetze nach Englisch…"
    assert t("progress.translating", "xx", languages="English") == "Translating to English…"
    assert t("error.busy", "") == EN["error.busy"]
    assert t("languages.pair", "uk", source="a", target="b") == SHARED["languages.pair"].format(
        source="a", target="b"
    )
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(KeyError):
        t("error.file_too_large", "fr")  # a placeholder value is missing


@pytest.mark.parametrize(
    ("code", "override", "expected"),
    [
        ("de", None, "de"),
        ("de-AT", None, "de"),
        ("de_CH", None, "de"),
        ("DE", None, "de"),
        ("en-GB", None, "en"),
        ("fr", None, "fr"),
        ("uk", None, "uk"),
        ("pt-BR", None, "en"),
        (None, None, "en"),
        ("", None, "en"),
        ("de", "en", "en"),
        ("en", "de", "de"),
        ("de", "xx", "de"),  # an unsupported override is ignored
    ],
)
def test_pick_ui_language(code: str | None, override: str | None, expected: str) -> None:
    assert pick_ui_language(code, override) == expected


def test_feed_counts_have_plural_forms() -> None:
    assert t("feeds.digest_title", "en", count=1) == "Digest: 1 new article"
    russian = [t("feeds.digest_title", "ru", count=n) for n in (1, 3, 5)]
    assert russian == [
        "Дайджест: 1 новая статья",
        "Дайджест: 3 новые статьи",
        "Дайджест: 5 новых статей",
    ]
    assert t("feeds.import_done", "pl", count=2, total=5) == "Zaimportowano 2 z 5 kanałów."
    assert t("feeds.limit", "de", limit=50).startswith("Dieser Chat verfolgt 50 Feeds")
