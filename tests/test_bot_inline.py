"""Inline mode end to end: ``@bot <link>`` answered from the results cache with one result per
language, a deep link to the private chat otherwise, private-network links refused, inline
queries counted against the user's rate limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import (
    LOOPBACK_ARTICLES,
    PRIVATE_CHAT,
    USER_ID,
    ArticleServer,
    BotEnv,
    bot_env,
    german_article_html,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine


@pytest.fixture
def env(web_env: BotEnv) -> BotEnv:
    """These tests read articles from the loopback server: the explicit exception to the
    default fetch policy (``web_env``)."""
    return web_env


async def _inline(env: BotEnv, query: str, user_id: int = USER_ID) -> dict[str, Any]:
    pushed = env.server.push_inline_query(user_id, query)
    await env.settled()
    answer = env.server.inline_answer(pushed["id"])
    assert answer is not None, "every inline query is answered"
    return answer


def _button(answer: dict[str, Any]) -> dict[str, Any]:
    button = answer.get("button")
    assert isinstance(button, dict), answer
    return button


async def _english_and_french(env: BotEnv, articles: ArticleServer) -> str:
    """The user reads English and French; returns the link of a German article."""
    await env.storage.settings.update_chat_settings(
        USER_ID, env.config.defaults, target_languages=("en", "fr")
    )
    return articles.add("/politik/verkehr.html", german_article_html())


async def test_a_cached_link_is_offered_in_each_of_the_users_languages(
    env: BotEnv, articles: ArticleServer
) -> None:
    url = await _english_and_french(env, articles)
    await env.ask_one(PRIVATE_CHAT, url)
    hits = dict(articles.hits)
    answer = await _inline(env, f"  {url} ")
    results = answer["results"]
    assert [r["title"] for r in results] == ["Summary in English", "Summary in French"]
    english, french = (
        parse_telegram_html(r["input_message_content"]["message_text"]) for r in results
    )
    assert "\nEnglish\n" in english and "French" not in english
    assert "\nFrench (via English)\n" in french and "\nEnglish\n" not in french
    assert english.startswith("Neues Verkehrskonzept | Stadtanzeiger")
    assert "button" not in answer and answer["is_personal"] is True
    assert articles.hits == hits, "answered from the cache, no fetch"

    env.server.push_chosen_inline_result(USER_ID, results[1]["id"], url)
    await env.settled()
    stats = await env.storage.stats.summary()
    assert stats.by_outcome.get("inline:cached") == 1 and stats.by_outcome.get("chosen") == 1


async def test_an_uncached_link_switches_to_the_private_chat_which_does_the_work(
    env: BotEnv, articles: ArticleServer
) -> None:
    url = articles.add("/wirtschaft/bericht.html", german_article_html())
    answer = await _inline(env, url)
    assert [r["title"] for r in answer["results"]] == ["Summarize in English"]
    assert answer["cache_time"] == 0
    button = _button(answer)
    assert button["text"] == "Summarize it in our private chat"
    assert articles.hits == {}, "an inline query never does the work"

    reply = await env.ask_one(PRIVATE_CHAT, f"/start {button['start_parameter']}")
    assert "Source language: German (de)" in parse_telegram_html(reply.text or "")
    assert articles.hits == {"/wirtschaft/bericht.html": 1}
    again = await _inline(env, url)
    assert [r["title"] for r in again["results"]] == ["Summary in English"]


async def test_bad_deep_links_and_queries_without_a_link(env: BotEnv) -> None:
    expired = await env.ask_one(PRIVATE_CHAT, "/start s_0123456789abcdef")
    assert "expired" in parse_telegram_html(expired.text or "")
    welcome = await env.ask_one(PRIVATE_CHAT, "/start inline")
    assert "Hi!" in parse_telegram_html(welcome.text or "")
    for query in ("", "was ist das", "javascript:alert(1)"):
        answer = await _inline(env, query)
        assert answer["results"] == []
        assert _button(answer) == {
            "text": "Type or paste a link to an article",
            "start_parameter": "inline",
        }
    assert (await env.storage.stats.summary()).total == 0


async def test_private_network_links_are_refused(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    fetch = {"allow_private_networks": False}
    async with bot_env(tmp_path, packages_dir, engine, fetch=fetch) as env:
        for url in (
            "http://127.0.0.1:8080/intern",
            "http://localhost/admin",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/router",
        ):
            answer = await _inline(env, url)
            assert answer["results"] == [], url
            assert _button(answer) == {
                "text": "I don't fetch links into private networks",
                "start_parameter": "inline",
            }, url
        public = await _inline(env, "http://93.184.216.34/artikel")
        assert _button(public)["start_parameter"].startswith("s_")


async def _spend_the_limit(env: BotEnv, url: str) -> dict[str, Any]:
    """With 2 requests a minute a user: two queries with ``url`` offered, the third refused,
    and then the user's request in the private chat refused too; returns an offer."""
    for _ in range(2):
        offered = await _inline(env, url)
        assert _button(offered)["start_parameter"].startswith("s_")
    refused = await _inline(env, url)
    assert _button(refused)["text"] == "Too many requests, try again in a minute"
    reply = await env.ask_one(PRIVATE_CHAT, url)
    assert "too fast" in parse_telegram_html(reply.text or "").lower()
    return offered


async def test_inline_queries_count_against_the_users_rate_limit(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine, articles: ArticleServer
) -> None:
    limits = {"per_user_per_minute": 2}
    async with bot_env(
        tmp_path, packages_dir, engine, limits=limits, fetch=LOOPBACK_ARTICLES
    ) as env:
        url = articles.add("/a", german_article_html())
        offered = await _spend_the_limit(env, url)
        # A chosen placeholder's work is admitted like a request: refused in its message.
        [placeholder] = offered["results"]
        chosen = env.server.push_chosen_inline_result(USER_ID, placeholder["id"], url)
        await env.settled()
        text = parse_telegram_html(_placeholder_message(env, chosen)["text"])
        assert "too fast" in text.lower(), text
        assert articles.hits == {}
        stats = await env.storage.stats.summary()
        assert stats.by_outcome.get("refused:error.rate_limited_user") == 3  # query, chat, pick


async def test_in_the_scaled_mode_inline_queries_count_in_the_shared_limit(
    tmp_path: Path,
    packages_dir: Path,
    engine: TranslationEngine,
    articles: ArticleServer,
    postgres_url: str,
) -> None:
    limits = {"per_user_per_minute": 2}
    async with bot_env(
        tmp_path,
        packages_dir,
        engine,
        storage={"url": postgres_url},
        limits=limits,
        fetch=LOOPBACK_ARTICLES,
    ) as env:
        url = articles.add("/a", german_article_html())
        # The queries were counted where every ingress counts: the private chat's request,
        # checked at the (same or another) ingress against the database, is refused too.
        await _spend_the_limit(env, url)
        with psycopg.connect(postgres_url) as conn:
            [(counted,)] = conn.execute(
                "SELECT COUNT(*) FROM rate_limit_events WHERE key = %s", (f"user:{USER_ID}",)
            ).fetchall()
        assert counted == 2, "the two offered queries, not the refused ones"
        assert articles.hits == {}


def _placeholder_message(env: BotEnv, chosen: dict[str, Any]) -> dict[str, Any]:
    assert "inline_message_id" in chosen, "a result with a keyboard posts an editable message"
    message = env.server.inline_message(chosen["inline_message_id"])
    assert message is not None
    return message


async def test_an_uncached_link_posts_a_placeholder_that_becomes_the_summary(
    env: BotEnv, articles: ArticleServer
) -> None:
    url = await _english_and_french(env, articles)
    answer = await _inline(env, url)
    results = answer["results"]
    assert [r["title"] for r in results] == ["Summarize in English", "Summarize in French"]
    payload = _button(answer)["start_parameter"]  # the deep link stays, above the results
    french = results[1]
    [[link]] = french["reply_markup"]["inline_keyboard"]
    assert link["url"] == f"https://t.me/{BOT_USERNAME}?start={payload}"
    assert articles.hits == {}, "an inline query never does the work"

    chosen = env.server.push_chosen_inline_result(USER_ID, french["id"], url)
    posted = parse_telegram_html(french["input_message_content"]["message_text"])
    assert posted == f"⏳ Summarizing…\n{url}"
    await env.settled()
    message = _placeholder_message(env, chosen)
    text = parse_telegram_html(message["text"])
    assert message["edits"] == 1 and message["reply_markup"] is None
    assert text.startswith("Neues Verkehrskonzept | Stadtanzeiger"), text
    assert "\nFrench (via English)\n" in text and "\nEnglish\n" not in text
    assert articles.hits == {"/politik/verkehr.html": 1}
    stats = await env.storage.stats.summary()
    assert stats.by_outcome.get("inline:done") == 1 and stats.by_outcome.get("chosen") == 1

    again = await _inline(env, url)  # done once, cached for everyone after
    assert [r["title"] for r in again["results"]] == ["Summary in English", "Summary in French"]
    assert articles.hits == {"/politik/verkehr.html": 1}


async def test_a_placeholder_whose_work_fails_says_why_in_the_same_message(
    env: BotEnv, articles: ArticleServer
) -> None:
    url = articles.base_url + "/gibt-es-nicht.html"
    [result] = (await _inline(env, url))["results"]
    chosen = env.server.push_chosen_inline_result(USER_ID, result["id"], url)
    await env.settled()
    text = parse_telegram_html(_placeholder_message(env, chosen)["text"])
    assert "not found" in text.lower() and "Traceback" not in text, text

    calls = len(env.server.calls("editMessageText"))
    for forged in ("p_0123456789abcdef_en", "p_../../etc_en", result["id"] + "x"):
        env.server.push_chosen_inline_result(USER_ID, forged, url)  # no inline message
    await env.settled()
    assert len(env.server.calls("editMessageText")) == calls
