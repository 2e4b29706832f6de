"""Edited messages end to end: the bot updates its own answer when the user edits the message
it answered; edits that change nothing relevant, and edits of messages it never answered,
cost no Bot API call."""

from __future__ import annotations

import asyncio
import html
import time
from pathlib import Path

import pytest

from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    PRIVATE_CHAT,
    ArticleServer,
    BotEnv,
    bot_env,
    german_article_html,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

#: The same article's second half: a text whose summary differs from the whole article's.
OTHER_ARTICLE = "\n\n".join(GERMAN_ARTICLE.split("\n\n")[2:])


@pytest.fixture
def env(web_env: BotEnv) -> BotEnv:
    """These tests read articles from the loopback server: the explicit exception to the
    default fetch policy (``web_env``)."""
    return web_env


def _visible(env: BotEnv, chat_id: int, message_id: int) -> str:
    return parse_telegram_html(env.server.message_text(chat_id, message_id) or "")


def _api_calls_since(env: BotEnv, count: int) -> list[str]:
    """Methods the bot called after the first ``count`` calls (polling left out)."""
    return [c.method for c in env.server.calls()[count:] if c.method != "getUpdates"]


async def _edit(env: BotEnv, chat_id: int, message_id: int, text: str) -> None:
    env.server.push_edit(chat_id, message_id, text)
    await env.settled()


async def test_fixing_a_broken_link_turns_the_error_into_the_summary(
    env: BotEnv, articles: ArticleServer
) -> None:
    broken = articles.base_url + "/politik/verkehr-typo.html"
    request = env.server.push_message(PRIVATE_CHAT, f"Lies das: {broken}")
    await env.settled()
    [answer] = env.server.sent_messages(PRIVATE_CHAT)
    assert "not found" in _visible(env, PRIVATE_CHAT, answer.message_id).lower()

    url = articles.add("/politik/verkehr.html", german_article_html())
    await _edit(env, PRIVATE_CHAT, request["message_id"], f"Lies das: {url}")
    assert [m.message_id for m in env.server.sent_messages(PRIVATE_CHAT)] == [answer.message_id]
    text = env.server.message_text(PRIVATE_CHAT, answer.message_id) or ""
    assert "Source language: German (de)" in parse_telegram_html(text)
    assert f'<a href="{html.escape(url)}">' in text
    assert await env.storage.jobs.count_unfinished() == 0
    stats = await env.storage.stats.summary()
    assert stats.total == 2, "the edit is a request of its own (rate limits, statistics)"


async def test_edited_text_gets_the_new_summary_in_the_same_message(env: BotEnv) -> None:
    request = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    [answer] = env.server.sent_messages(PRIVATE_CHAT)
    before = _visible(env, PRIVATE_CHAT, answer.message_id)
    await _edit(env, PRIVATE_CHAT, request["message_id"], OTHER_ARTICLE)
    assert [m.message_id for m in env.server.sent_messages(PRIVATE_CHAT)] == [answer.message_id]
    after = _visible(env, PRIVATE_CHAT, answer.message_id)
    assert after != before and "Source language: German (de)" in after
    assert "Stadtrat beschließt neues Verkehrskonzept" not in after


async def test_an_edit_made_while_the_answer_is_made_replaces_it_once_it_is_there(
    env: BotEnv, articles: ArticleServer
) -> None:
    """A link fixed seconds after sending it, while the bot still reads the first one: the
    edit waits for that answer, then the answer shows what the message asks for now. Of two
    quick edits the last one counts; the first is never fetched."""
    slow = articles.add("/politik/langsam.html", german_article_html(), delay=1.5)
    request = env.server.push_message(PRIVATE_CHAT, f"Lies das: {slow}")
    deadline = time.monotonic() + 20
    while not articles.hits["/politik/langsam.html"]:
        assert time.monotonic() < deadline, "the first link was never fetched"
        await asyncio.sleep(0.02)
    typo = articles.add("/politik/tippfehler.html", german_article_html())
    env.server.push_edit(PRIVATE_CHAT, request["message_id"], f"Lies das: {typo}")
    env.server.push_edit(PRIVATE_CHAT, request["message_id"], OTHER_ARTICLE)
    await env.settled()
    [answer] = env.server.sent_messages(PRIVATE_CHAT)
    after = _visible(env, PRIVATE_CHAT, answer.message_id)
    assert "Source language: German (de)" in after
    raw = env.server.message_text(PRIVATE_CHAT, answer.message_id) or ""
    assert html.escape(slow) not in raw, "still the answer to the first link"
    assert articles.hits["/politik/tippfehler.html"] == 0
    assert await env.storage.jobs.count_unfinished() == 0
    assert (await env.storage.stats.summary()).total == 2  # the link, then the last edit


async def test_an_edit_that_changes_nothing_relevant_costs_nothing(
    env: BotEnv, articles: ArticleServer
) -> None:
    url = articles.add("/artikel", german_article_html())
    request = env.server.push_message(PRIVATE_CHAT, f"Schau mal: {url}")
    await env.settled()
    calls, hits = len(env.server.calls()), dict(articles.hits)
    # A typo fixed next to the same link; whitespace changed around the same text.
    await _edit(env, PRIVATE_CHAT, request["message_id"], f"Schau mal, sehr spannend: {url}")
    text = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    calls = len(env.server.calls())
    await _edit(env, PRIVATE_CHAT, text["message_id"], GERMAN_ARTICLE.replace("\n\n", "\n\n\n"))
    assert _api_calls_since(env, calls) == []
    assert articles.hits == hits
    assert (await env.storage.stats.summary()).total == 2


async def test_edits_of_messages_the_bot_never_answered_are_ignored(env: BotEnv) -> None:
    hello = env.server.push_message(PRIVATE_CHAT, "hallo")  # a remark: a hint, not an answer
    await env.settled()
    calls = len(env.server.calls())
    await _edit(env, PRIVATE_CHAT, hello["message_id"], GERMAN_ARTICLE)
    await _edit(env, PRIVATE_CHAT, 999, GERMAN_ARTICLE)  # a message the bot never saw
    # In a group in mention mode, an unanswered article stays unanswered when edited.
    article = env.server.push_message(GROUP_CHAT, "Noch nicht fertig", chat_type="supergroup")
    await env.settled()
    await _edit(env, GROUP_CHAT, article["message_id"], GERMAN_ARTICLE)
    assert _api_calls_since(env, calls) == []
    assert (await env.storage.stats.summary()).total == 0


async def test_an_edit_into_a_non_article_leaves_the_answer(env: BotEnv) -> None:
    request = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    [answer] = env.server.sent_messages(PRIVATE_CHAT)
    before = env.server.message_text(PRIVATE_CHAT, answer.message_id)
    calls = len(env.server.calls())
    await _edit(env, PRIVATE_CHAT, request["message_id"], "\u200b \u200b")
    assert _api_calls_since(env, calls) == []
    assert env.server.message_text(PRIVATE_CHAT, answer.message_id) == before


async def test_group_answers_follow_edits_of_mentions_and_auto_summaries(env: BotEnv) -> None:
    mention = env.server.push_message(
        GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}", chat_type="supergroup"
    )
    await env.settled()
    [answer] = env.server.sent_messages(GROUP_CHAT)
    before = _visible(env, GROUP_CHAT, answer.message_id)
    await _edit(env, GROUP_CHAT, mention["message_id"], f"@{BOT_USERNAME} {OTHER_ARTICLE}")
    assert [m.message_id for m in env.server.sent_messages(GROUP_CHAT)] == [answer.message_id]
    assert _visible(env, GROUP_CHAT, answer.message_id) != before

    await env.storage.settings.update_chat_settings(
        GROUP_CHAT, env.config.defaults, group_mode="off"
    )
    calls = len(env.server.calls())
    await _edit(env, GROUP_CHAT, mention["message_id"], f"@{BOT_USERNAME} {GERMAN_ARTICLE}")
    assert _api_calls_since(env, calls) == [], "a group that turned the bot off is left alone"


async def test_only_a_bounded_window_of_recent_answers_is_followed(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    limits = {"per_user_per_minute": 1000, "per_chat_per_minute": 1000, "edit_window_answers": 1}
    async with bot_env(tmp_path, packages_dir, engine, limits=limits) as env:
        first = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
        await env.settled()
        env.server.push_message(PRIVATE_CHAT, OTHER_ARTICLE)
        await env.settled()
        calls = len(env.server.calls())
        await _edit(env, PRIVATE_CHAT, first["message_id"], OTHER_ARTICLE + "\n\nNachtrag.")
        assert _api_calls_since(env, calls) == [], "the first answer left the window"
