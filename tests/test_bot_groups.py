"""Groups: /summarize, mentions, and the auto/mention/off modes; one reply per request."""

from __future__ import annotations

from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import GERMAN_ARTICLE, GROUP_CHAT, ArticleServer, BotEnv
from tests.support.telegram_html import parse_telegram_html

MENTION = f"@{BOT_USERNAME}"


async def _set_mode(env: BotEnv, mode: str) -> None:
    await env.storage.settings.update_chat_settings(
        GROUP_CHAT, env.config.defaults, group_mode=mode
    )


def _summary(text: str | None) -> bool:
    return "Source language: German (de)" in parse_telegram_html(text or "")


async def test_summarize_command_as_reply_and_with_a_link(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    article = web_env.server.push_message(GROUP_CHAT, GERMAN_ARTICLE)
    await web_env.settled()
    assert web_env.server.sent_messages(GROUP_CHAT) == [], "mention mode: no unasked reply"
    reply = await web_env.ask_one(GROUP_CHAT, "/summarize", reply_to=article["message_id"])
    assert _summary(reply.text)
    request = web_env.server.calls("sendMessage")[-1].params
    assert request["reply_parameters"]["message_id"] > article["message_id"]

    url = articles.add("/artikel", "<html><body><p>" + GERMAN_ARTICLE + "</p></body></html>")
    assert _summary((await web_env.ask_one(GROUP_CHAT, f"/summarize@{BOT_USERNAME} {url}")).text)
    usage = await web_env.ask_one(GROUP_CHAT, "/summarize")
    assert "Reply to a message with /summarize" in parse_telegram_html(usage.text or "")


async def test_mentions_in_mention_mode(env: BotEnv) -> None:
    assert _summary((await env.ask_one(GROUP_CHAT, f"{MENTION} {GERMAN_ARTICLE}")).text)
    article = env.server.push_message(GROUP_CHAT, GERMAN_ARTICLE, user_id=2002)
    await env.settled()
    reply = await env.ask_one(GROUP_CHAT, f"{MENTION} bitte", reply_to=article["message_id"])
    assert _summary(reply.text)
    hint = await env.ask_one(GROUP_CHAT, MENTION)
    assert "mention" in parse_telegram_html(hint.text or "")
    # A short remark with the mention is a question to the bot, not a text to summarize.
    question = await env.ask_one(GROUP_CHAT, f"{MENTION} was steht da?")
    assert parse_telegram_html(question.text or "") == parse_telegram_html(hint.text or "")


async def test_auto_mode_answers_links_and_long_texts_and_stays_silent_on_errors(
    web_env: BotEnv, articles: ArticleServer
) -> None:
    await _set_mode(web_env, "auto")
    assert _summary((await web_env.ask_one(GROUP_CHAT, GERMAN_ARTICLE)).text)
    url = articles.add("/a", "<html><body><p>" + GERMAN_ARTICLE + "</p></body></html>")
    assert _summary((await web_env.ask_one(GROUP_CHAT, f"Lest das: {url}")).text)
    hidden = articles.add("/b", "<html><body><p>" + GERMAN_ARTICLE + "</p></body></html>")
    link = {"type": "text_link", "offset": 0, "length": 9, "url": hidden}
    assert _summary((await web_env.ask_one(GROUP_CHAT, "Lesenswert", entities=[link])).text)
    for unasked in (
        "Guten Morgen zusammen, wer kommt heute mit zum Mittagessen?",  # short chatter
        articles.base_url + "/gone",  # a broken link nobody asked about
        "🎉" * 450,  # long but not a language
    ):
        assert await web_env.ask(GROUP_CHAT, unasked) == [], unasked
    stats = await web_env.storage.stats.summary()
    assert stats.by_outcome.get("error:fetch") == 1, "silent failures are still recorded"


async def test_off_mode_ignores_mentions_but_obeys_commands(env: BotEnv) -> None:
    await _set_mode(env, "off")
    assert await env.ask(GROUP_CHAT, f"{MENTION} {GERMAN_ARTICLE}") == []
    assert await env.ask(GROUP_CHAT, GERMAN_ARTICLE + " https://example.org/x") == []
    article = env.server.push_message(GROUP_CHAT, GERMAN_ARTICLE)
    await env.settled()
    assert _summary((await env.ask_one(GROUP_CHAT, "/summarize", reply_to=article)).text)


async def test_group_errors_are_one_short_reply(env: BotEnv) -> None:
    replies = await env.ask(GROUP_CHAT, f"{MENTION} " + "😀 " * 6)
    assert len(replies) == 1
    text = parse_telegram_html(replies[0].text or "")
    assert text.startswith("⚠️") and len(text) < 200
