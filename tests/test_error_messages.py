"""Fetch failures told in the user's language: every reason the fetcher can give has a text in
both catalogs, and its numbers are written the way that language writes them."""

from __future__ import annotations

import pytest

from bot.config import LimitsConfig
from bot.telegram.error_messages import error_text
from bot.telegram.i18n import EN
from translation.errors import FETCH_REASONS, FetchError

LIMITS = LimitsConfig()
SENTINEL = "ENGLISH FALLBACK"

# The details each reason carries when translation/ raises it (see tests/test_fetching.py).
DETAILS: dict[str, dict[str, str]] = {
    "not_found": {"status": "404"},
    "forbidden": {"status": "403"},
    "rate_limited": {"status": "429"},
    "server_error": {"status": "503"},
    "http_error": {"status": "400"},
    "too_many_redirects": {"limit": "5"},
    "invalid_url": {},
    "scheme": {},
    "blocked": {"host": "intern.test"},
    "port": {"host": "news.test", "port": "6379"},
    "not_a_page": {"content_type": "image/png"},
    "binary": {},
    "too_large": {"max_bytes": "5000000"},
    "timeout": {"seconds": "15"},
    "too_slow": {"rate": "2000"},
    "dns": {"host": "nowhere.test"},
    "connect": {"host": "news.test"},
    "connection": {"host": "news.test"},
    "compression": {},
}


def test_every_reason_has_sample_details() -> None:
    assert set(DETAILS) == set(FETCH_REASONS)


@pytest.mark.parametrize("reason", FETCH_REASONS)
def test_every_reason_has_a_text_in_both_languages(reason: str) -> None:
    assert f"fetch.{reason}" in EN  # every catalog has it: tests/test_i18n.py
    exc = FetchError(SENTINEL, reason, **DETAILS[reason])  # type: ignore[arg-type]
    english, german = (error_text(exc, ui, LIMITS) for ui in ("en", "de"))
    assert SENTINEL not in english and SENTINEL not in german
    assert english != german
    for name, value in DETAILS[reason].items():
        shown = "{" + name + "}" in EN[f"fetch.{reason}"]
        if shown and (not value.isdigit() or len(value) < 4):  # big numbers are reformatted
            assert value in english and value in german


def test_german_numbers_and_sizes() -> None:
    large = FetchError(SENTINEL, "too_large", max_bytes="1500000")
    assert "größer als 1,5 MB" in error_text(large, "de", LIMITS)
    assert "larger than 1.5 MB" in error_text(large, "en", LIMITS)
    slow = FetchError(SENTINEL, "timeout", seconds="0.5")
    assert "(Grenze: 0,5 s)" in error_text(slow, "de", LIMITS)
    odd = FetchError(SENTINEL, "too_large", max_bytes="lots")  # not a number: shown as it is
    assert "größer als lots" in error_text(odd, "de", LIMITS)


def test_the_link_itself_is_refused_in_its_own_frame() -> None:
    for reason in ("blocked", "scheme", "invalid_url"):
        text = error_text(FetchError(SENTINEL, reason), "de", LIMITS)
        assert text.startswith("Diesen Link kann ich nicht öffnen: "), text
    untyped = FetchError(SENTINEL, "not_a_page", content_type="")
    assert "gibt nicht an, was für ein Dokument" in error_text(untyped, "de", LIMITS)


@pytest.mark.parametrize(
    ("reason", "details"),
    [("", {}), ("no_such_reason", {}), ("not_found", {}), ("timeout", {"host": "news.test"})],
)
def test_without_a_usable_reason_the_english_message_is_kept(
    reason: str, details: dict[str, str]
) -> None:
    exc = FetchError(SENTINEL, reason, **details)  # type: ignore[arg-type]
    assert error_text(exc, "de", LIMITS) == f"Ich konnte den Artikel nicht laden: {SENTINEL}"
