"""One core, many front ends: the CLI and the Telegram bot call the same service with the same
storage, and a rule defined once (the summary length range) holds on every surface."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.bot_harness import (
    PRIVATE_CHAT,
    USER_ID,
    ArticleServer,
    BotEnv,
    bot_env,
    buttons,
    german_article_html,
)
from translation.models.engine import TranslationEngine

#: Sixteen distinct sentences: enough for a 12-sentence summary with room to grow.
LONG_ARTICLE = "Neue Regeln für den Stadtverkehr\n\n" + " ".join(
    f"Im {district} Bezirk sollen ab dem Frühjahr {n} neue Buslinien fahren, sagte die Stadt."
    for n, district in enumerate(
        (
            "ersten", "zweiten", "dritten", "vierten", "fünften", "sechsten", "siebten",
            "achten", "neunten", "zehnten", "elften", "zwölften", "dreizehnten",
            "vierzehnten", "fünfzehnten", "sechzehnten",
        ),
        start=2,
    )
)  # fmt: skip


async def test_a_default_of_twelve_sentences_gives_working_shorter_and_longer_buttons(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    defaults = {"target_languages": ("en",), "summary_sentences": 12}
    async with bot_env(tmp_path, packages_dir, engine, defaults=defaults) as env:
        reply = await env.ask_one(PRIVATE_CHAT, LONG_ARTICLE)
        chat, message_id = PRIVATE_CHAT, reply.message_id

        def bullets() -> int:
            return (env.server.message_text(chat, message_id) or "").count("• ")

        assert bullets() == 12
        answer = await env.press(chat, USER_ID, buttons(reply)["Shorter"], message_id)
        assert not answer.get("show_alert"), answer
        assert bullets() == 11
        for _ in range(2):
            current = env.server.sent_messages(chat)[-1]
            answer = await env.press(chat, USER_ID, buttons(current)["Longer"], message_id)
            assert not answer.get("show_alert"), answer
        assert bullets() == 13


@pytest.fixture
def cli_shares(web_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI configured like the running bot: same database, models and fetch policy."""
    config = web_env.config
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    monkeypatch.setenv("BRIEFBOT_STORAGE_PATH", str(config.storage.path))
    monkeypatch.setenv("BRIEFBOT_MODELS_PACKAGES_DIR", str(config.models.packages_dir))
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("BRIEFBOT_DEFAULTS_TARGET_LANGUAGES", "en")


@pytest.mark.usefixtures("cli_shares")
async def test_the_cli_fills_the_results_cache_the_bot_answers_from(
    web_env: BotEnv, articles: ArticleServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = articles.add("/politik/verkehr.html", german_article_html())
    code = await asyncio.to_thread(main, ["summarize", "--json", url])
    assert code == 0, capsys.readouterr().err
    assert articles.hits["/politik/verkehr.html"] == 1

    reply = await web_env.ask_one(PRIVATE_CHAT, url)
    assert "• " in (reply.text or "")
    assert articles.hits["/politik/verkehr.html"] == 1, "the bot fetched the page again"
    stats = await web_env.storage.stats.summary()
    assert stats.cache_hits == 1


@pytest.mark.usefixtures("cli_shares")
async def test_the_cli_translates_a_document_the_bot_prepared(
    web_env: BotEnv, articles: ArticleServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = articles.add("/politik/verkehr.html", german_article_html())
    await web_env.ask_one(PRIVATE_CHAT, url)
    assert articles.hits["/politik/verkehr.html"] == 1
    code = await asyncio.to_thread(main, ["translate", "--to", "en", url])
    assert code == 0, capsys.readouterr().err
    assert articles.hits["/politik/verkehr.html"] == 1, "the CLI fetched the page again"
    assert capsys.readouterr().out.strip()
