"""Channels end to end: a channel admin sets mode and languages (private chat or discussion
group, checked with getChatMember on the channel); posts with links or long texts get their
summary as a comment under the automatic forward; forged admins, non-articles and unknown
channels get nothing; a post in flight during a restart is answered once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import GERMAN_ARTICLE, ArticleServer, BotEnv, german_article_html
from tests.support.telegram_html import parse_telegram_html
from tests.test_bot_subprocess import _eventually, _start, _write_config

CHANNEL = -1009990001
DISCUSSION = -1009990002
ADMIN = 3003
STRANGER = 3004


@pytest.fixture
def env(web_env: BotEnv) -> BotEnv:
    """These tests read articles from the loopback server: the explicit exception to the
    default fetch policy (``web_env``)."""
    return web_env


def _visible(text: str | None) -> str:
    return parse_telegram_html(text or "")


def _summaries(messages: list[Any]) -> int:
    return sum("Source language: German (de)" in _visible(m.text) for m in messages)


def _comments(env: BotEnv) -> list[Any]:
    return env.server.sent_messages(DISCUSSION)


async def _post(env: BotEnv, text: str) -> dict[str, Any]:
    _post_message, forward = env.server.push_channel_post(CHANNEL, text)
    assert forward is not None
    await env.settled()
    return forward


def _linked(env: BotEnv) -> None:
    env.server.link_discussion(CHANNEL, DISCUSSION, "Stadtnachrichten")
    env.server.set_member(CHANNEL, ADMIN, "administrator")


async def test_an_admin_turns_comments_on_and_articles_get_one_summary_each(
    env: BotEnv, articles: ArticleServer
) -> None:
    _linked(env)
    status = await env.ask_one(ADMIN, f"/channel {CHANNEL} comment en,fr")
    assert _visible(status.text) == (
        "Channel Stadtnachrichten: summaries of posts with links or long texts as comments.\n"
        "Languages: English, French."
    )
    url = articles.add("/stadt/verkehr.html", german_article_html())
    forward = await _post(env, f"Der Stadtrat hat entschieden: {url}")
    [comment] = _comments(env)
    visible = _visible(comment.text)
    assert "Source language: German (de)" in visible
    assert "\nEnglish\n" in visible and "\nFrench (via English)\n" in visible
    sent = env.server.calls("sendMessage")[-1].params
    assert sent["reply_parameters"]["message_id"] == forward["message_id"]

    long_text = await _post(env, GERMAN_ARTICLE)
    assert len(_comments(env)) == 2
    assert (
        env.server.calls("sendMessage")[-1].params["reply_parameters"]["message_id"]
        == (long_text["message_id"])
    )
    for chatter in ("Guten Morgen! ☀️", "Heute Abend live im Stream, seid dabei!", "🎉" * 450):
        await _post(env, chatter)
    assert len(_comments(env)) == 2, "no comment under posts that are not articles"
    # A broken link is an article nobody can read: silence, not an error under the post.
    await _post(env, articles.base_url + "/weg")
    assert len(_comments(env)) == 2
    assert await env.storage.jobs.count_unfinished() == 0


async def test_forged_admins_and_bad_channel_commands_change_nothing(env: BotEnv) -> None:
    _linked(env)
    env.server.add_chat(-100555, "supergroup")
    answers = {
        f"/channel {CHANNEL} comment": "Only the channel's administrators can change its settings.",
        "/channel @no_such_channel comment": "I can't find that channel.",
        "/channel -100555 comment": "I can't find that channel.",  # a group, not a channel
        "/channel": "Channel summaries: add me to the channel as an administrator",
    }
    for command, expected in answers.items():
        reply = await env.ask_one(STRANGER, command)
        assert _visible(reply.text).startswith(expected), command
    env.server.add_chat(-100557, "channel", "Ohne Diskussion")
    env.server.set_member(-100557, ADMIN, "creator")
    lonely = await env.ask_one(ADMIN, "/channel -100557 comment")
    assert "The channel has no linked discussion group yet" in _visible(lonely.text)
    refused = await env.ask_one(ADMIN, f"/channel {CHANNEL} comment xx,en")
    assert _visible(refused.text).startswith("I can't translate into xx")
    # In the discussion group: a member is refused even when typing as if an admin.
    reply = await env.ask_one(DISCUSSION, "/channel comment", user_id=STRANGER)
    assert "Only the channel's administrators" in _visible(reply.text)
    assert (await env.runtime.service.settings(CHANNEL)).group_mode != "auto"
    await _post(env, GERMAN_ARTICLE)
    assert len(_comments(env)) == 1, "still off: only the refusal above is in the group"


async def test_the_discussion_group_sets_the_linked_channel(env: BotEnv) -> None:
    _linked(env)
    on = await env.ask_one(DISCUSSION, "/channel comment fr", user_id=ADMIN)
    assert "Languages: French." in _visible(on.text)
    await _post(env, GERMAN_ARTICLE)
    assert "\nFrench (via English)\n" in _visible(_comments(env)[-1].text)
    # Posting as the channel itself proves admin rights without getChatMember.
    calls = len(env.server.calls("getChatMember"))
    off = await env.ask_one(DISCUSSION, "/channel off", sender_chat=CHANNEL)
    assert _visible(off.text).startswith("Channel Stadtnachrichten: off.")
    assert len(env.server.calls("getChatMember")) == calls
    count = len(_comments(env))
    await _post(env, GERMAN_ARTICLE)
    assert len(_comments(env)) == count
    env.server.add_chat(-100556, "supergroup")
    alone = await env.ask_one(-100556, "/channel comment", user_id=ADMIN)
    assert _visible(alone.text) == "This group is not the discussion group of a channel."


async def test_a_post_in_flight_during_a_restart_is_answered_once(
    tmp_path: Path, packages_dir: Path, articles: ArticleServer
) -> None:
    """``briefbot run`` killed with SIGKILL while a channel post is being summarized."""
    slow_url = articles.add("/langsam", german_article_html(), delay=3.0)
    config, log = tmp_path / "briefbot.toml", tmp_path / "bot.log"
    with BotApiServer() as server:
        server.link_discussion(CHANNEL, DISCUSSION, "Stadtnachrichten")
        server.set_member(CHANNEL, ADMIN, "administrator")
        _write_config(config, server.base_url, packages_dir, tmp_path / "bot.sqlite3")
        process = _start(config, log)
        try:
            server.push_message(ADMIN, f"/channel {CHANNEL} comment")
            await server.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN, 60)
            _post_message, forward = server.push_channel_post(CHANNEL, f"Neu: {slow_url}")
            assert forward is not None
            # The job started: the post's forward got the quiet 👀 acknowledgement.
            await server.wait_for(
                "setMessageReaction", lambda c: c.params["chat_id"] == DISCUSSION, 30
            )
            process.kill()  # mid-job: the article is still being fetched
            assert process.wait(10) == -signal.SIGKILL
            assert server.sent_messages(DISCUSSION) == []

            process = _start(config, log)
            await _eventually(lambda: _summaries(server.sent_messages(DISCUSSION)) > 0, 60)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
            [comment] = server.sent_messages(DISCUSSION)
            assert "Source language: German (de)" in _visible(comment.text)
            replies = [
                c.params for c in server.calls("sendMessage") if c.params["chat_id"] == DISCUSSION
            ]
            assert [r["reply_parameters"]["message_id"] for r in replies] == [forward["message_id"]]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert "Resuming 1 unfinished job" in log.read_text("utf-8", errors="replace")


async def test_an_edited_post_updates_its_comment_in_the_channels_languages(
    env: BotEnv,
) -> None:
    _linked(env)
    await env.ask_one(ADMIN, f"/channel {CHANNEL} comment fr")
    forward = await _post(env, GERMAN_ARTICLE)
    [comment] = _comments(env)
    before = _visible(comment.text)
    other = "\n\n".join(GERMAN_ARTICLE.split("\n\n")[2:])
    env.server.push_edit(DISCUSSION, forward["message_id"], other)
    await env.settled()
    [edited] = _comments(env)
    after = _visible(edited.text)
    assert edited.message_id == comment.message_id and after != before
    assert "\nFrench (via English)\n" in after and "\nEnglish\n" not in after
