"""Every bad input of the pipeline, arriving through a private chat, gets one clear reply."""

from __future__ import annotations

import random
from pathlib import Path

from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    LOOPBACK_ARTICLES,
    PRIVATE_CHAT,
    ArticleServer,
    BotEnv,
    bot_env,
    german_article_html,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

ARABIC = (
    "أعلن مجلس المدينة يوم الثلاثاء عن خطة جديدة للنقل العام في وسط المدينة. "
    "وستعمل الحافلات والترام كل خمس دقائق في أوقات الذروة. "
    "وقالت رئيسة البلدية إن الخطة خطوة مهمة لحماية المناخ في المنطقة. "
    "وانتقدت المعارضة أن التمويل لم يتم تأمينه بعد."
)
SPANISH = (
    "El ayuntamiento aprobó el martes un nuevo plan de transporte para el centro de la ciudad. "
    "Los autobuses y tranvías pasarán cada cinco minutos en las horas punta. "
    "La alcaldesa habló de un paso importante para la protección del clima en la región. "
    "La oposición criticó que la financiación todavía no está asegurada."
)
SPECIAL_CHARACTERS = (
    "Die Firma AT&T und <Partner> melden: a < b > c & d. *Fett* _kursiv_ [Link](http://x) "
    "`code` ~durch~ ||spoiler||. "
) + GERMAN_ARTICLE


async def _reply_text(env: BotEnv, text: str | None = None, **kwargs: object) -> str:
    reply = await env.ask_one(PRIVATE_CHAT, text, **kwargs)
    return parse_telegram_html(reply.text or "")


async def test_odd_texts_each_get_a_clear_reply(env: BotEnv) -> None:
    cases: list[tuple[str, str]] = [
        ("   \n\t  ", "The message is empty"),
        ("\u200b\u200c\u2060\ufeff", "The message is empty"),
        ("\x01\x02\x7f\x1b", "The message is empty"),
        ("😀🎉🔥👍🙈", "Send me a link to an article, a longer text"),
        ("12345 67890 !!! ??? 42", "can't tell which language"),
        (ARABIC, "English isn't available for this article yet."),  # RTL, no model: source
        (SPANISH, "English isn't available for this article yet."),
    ]
    for text, expected in cases:
        visible = await _reply_text(env, text)
        assert expected in visible, (text, visible)
    arabic = await _reply_text(env, ARABIC + " ")
    assert "الحافلات" in arabic or "المدينة" in arabic, "the source-language summary is shown"


async def test_single_word_and_markup_characters(env: BotEnv) -> None:
    word = await _reply_text(env, "Verkehrskonzept")
    assert word.startswith("Send me a link to an article, a longer text")  # not a "summary"
    assert "/translate LANG" in word
    assert "Somali" not in await _reply_text(env, "x" * 4000)  # not prose: no language guessed
    visible = await _reply_text(env, SPECIAL_CHARACTERS)
    assert "Source language: German (de)" in visible  # valid HTML: the server parsed it


async def test_unreadable_and_oversized_files(env: BotEnv) -> None:
    limits = env.config.limits
    megabyte_paste = ("Das ist ein Satz über den Verkehr in der Stadt. " * 21000).encode()
    assert 1_000_000 < len(megabyte_paste) < limits.max_file_bytes
    visible = await _reply_text(env, document=("paste.txt", "text/plain", megabyte_paste))
    assert "The text is too long: the limit is 100,000 characters" in visible

    too_big = b"a" * (limits.max_file_bytes + 1)
    downloads = len(env.server.calls("getFile"))
    visible = await _reply_text(env, document=("big.txt", "text/plain", too_big))
    assert "The file is too large: the limit is 2 MB" in visible
    assert len(env.server.calls("getFile")) == downloads, "refused before downloading"

    noise = random.Random(7).randbytes(5000)
    visible = await _reply_text(env, document=("noise.txt", "text/plain", noise))
    assert visible.startswith("⚠️")

    visible = await _reply_text(env, document=("report.pdf", "application/pdf", b"%PDF-1.4"))
    assert "I can't read this file" in visible

    visible = await _reply_text(env, None)  # e.g. a sticker: no text, no caption, no file
    assert "I can only read texts, links" in visible


async def test_broken_links_are_explained(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, articles: ArticleServer
) -> None:
    fetch = {**LOOPBACK_ARTICLES, "timeout_seconds": 1.0, "max_bytes": 50_000}
    async with bot_env(tmp_path, packages_dir, engine, fetch=fetch) as env:
        cases = {
            "missing": articles.base_url + "/no-such-article",
            "slow": articles.add("/slow", german_article_html(), delay=2.0),
            "image": articles.add("/picture.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"),
            "huge": articles.add("/huge", german_article_html() + "<p>x</p>" * 20_000),
        }
        for name, url in cases.items():
            visible = await _reply_text(env, url)
            assert "couldn't fetch the article" in visible, (name, visible)
        stats = await env.storage.stats.summary()
        assert stats.by_outcome == {"error:fetch": 4}


async def test_german_users_get_german_explanations(env: BotEnv) -> None:
    """Pipeline failures and missing models are told in the user's language, not in the
    pipeline's English."""
    german = 2600

    async def reply(text: str | None = None, **kwargs: object) -> str:
        message = await env.ask_one(german, text, user_id=german, language_code="de", **kwargs)
        return parse_telegram_html(message.text or "")

    noise = random.Random(7).randbytes(5000)
    binary = await reply(document=("daten.txt", "text/plain", noise))
    assert "Diese Datei sieht binär aus" in binary
    empty = await reply(document=("leer.txt", "text/plain", b"\n \n"))
    assert "keine Sätze zum Zusammenfassen" in empty
    arabic = await reply(ARABIC)
    assert "Englisch: für diesen Artikel noch nicht verfügbar." in arabic
    for visible in (binary, empty, arabic):
        assert "No model" not in visible and "This file" not in visible
        assert "There is no text" not in visible


async def test_german_users_get_german_link_errors(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    """A link that fails is explained in German from frame to reason, not with the fetcher's
    English reason inside a German sentence."""
    german = 2601

    async def reply(text: str) -> str:
        message = await web_env.ask_one(german, text, user_id=german, language_code="de")
        return parse_telegram_html(message.text or "")

    missing = await reply(articles.base_url + "/no-such-article")
    assert "Ich konnte den Artikel nicht laden: Die Seite wurde nicht gefunden (HTTP 404)." in (
        missing
    )
    image = await reply(articles.add("/bild.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png"))
    assert "Der Link führt nicht zu einer Webseite oder einem Text (sondern zu image/png)." in (
        image
    )
    port = await reply("http://127.0.0.1:25/")
    assert "Diesen Link kann ich nicht öffnen: Port 25 ist kein Port für Webseiten" in port
    for visible in (missing, image, port):
        assert "The page" not in visible and "Refused" not in visible and "link" not in visible


SPOOFING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


async def test_bidi_overrides_in_a_page_title_do_not_reach_the_reply(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    env = web_env
    """Issue 13 (title spoofing): U+202E in a title would make "Verkehrskonzept.exe" read
    backwards in the linked heading; every bidi control is dropped from titles and bullets."""
    spoofed = "Stadtrat \u202eexe.tpeznoksrhekreV\u202c beschließt \u2067neues\u2069 Konzept"
    page = (
        german_article_html()
        .replace("Neues Verkehrskonzept | Stadtanzeiger", spoofed)
        .replace("Stadtrat beschließt neues Verkehrskonzept für die Innenstadt", spoofed)
    )
    reply = await env.ask_one(PRIVATE_CHAT, articles.add("/spoof", page))
    raw = reply.text or ""
    assert "exe.tpeznoksrhekreV" in raw, raw  # the title is there, minus its controls
    assert not set(SPOOFING) & set(raw), raw
