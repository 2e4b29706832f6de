"""Chats that blocked or removed the bot, end to end: a delivery answered with Forbidden (or
"chat not found") rests the chat's feeds, without retries and without stopping other chats;
``/start`` in the private chat, or the bot added back to a group (``my_chat_member``), brings
them back with one short message, from then on (no burst of what was missed)."""

from __future__ import annotations

from pathlib import Path

from tests.support.bot_harness import GROUP_CHAT, PRIVATE_CHAT, BotEnv
from tests.support.feed_fixtures import HEADLINES, RSS_TYPE, rss
from tests.support.http_servers import PageServer
from tests.test_bot_feeds import HOUR, feed_bot, feeds_of, items, news, tick, visible
from translation.models.engine import TranslationEngine

RESUMED = "Feed deliveries to this chat were paused while I could not post here."


def attempts(env: BotEnv, chat_id: int) -> int:
    """sendMessage calls to ``chat_id``, failed ones included."""
    return sum(c.params.get("chat_id") == chat_id for c in env.server.calls("sendMessage"))


async def followed(env: BotEnv, site: PageServer, chat_id: int) -> None:
    """``chat_id`` follows the site's feed, which lists article 0 so far."""
    feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
    env.server.add_chat(chat_id)
    sender = chat_id if chat_id < 0 else None  # a group's anonymous admin
    await env.ask(chat_id, f"/follow {feed}", sender_chat=sender)


def texts(env: BotEnv, chat_id: int) -> list[str]:
    return [visible(m) for m in env.server.sent_messages(chat_id)]


async def test_a_user_who_blocked_the_bot_rests_until_start(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        await followed(env, site, PRIVATE_CHAT)
        await followed(env, site, GROUP_CHAT)

        env.server.block(PRIVATE_CHAT)
        site.add("/rss.xml", rss(items(site, 0, 1)), RSS_TYPE)
        await tick(env, HOUR)
        assert attempts(env, PRIVATE_CHAT) == 2, "'Now following', then one failed delivery"
        assert HEADLINES[1] in texts(env, GROUP_CHAT)[-1], "the other chat still gets it"
        (sub,) = await feeds_of(env).subscriptions(PRIVATE_CHAT)
        assert sub.unreachable
        assert await env.storage.jobs.count_unfinished() == 0

        site.add("/rss.xml", rss(items(site, 0, 1, 2)), RSS_TYPE)
        await tick(env, 2 * HOUR)
        await tick(env, 3 * HOUR)
        assert attempts(env, PRIVATE_CHAT) == 2, "no retries while blocked"
        assert HEADLINES[2] in texts(env, GROUP_CHAT)[-1]

        env.server.unblock(PRIVATE_CHAT)
        replies = await env.ask(PRIVATE_CHAT, "/start")
        assert len(replies) == 2 and RESUMED in visible(replies[1])
        assert not (await feeds_of(env).subscriptions(PRIVATE_CHAT))[0].unreachable
        await env.ask(PRIVATE_CHAT, "/start")
        assert sum(RESUMED in t for t in texts(env, PRIVATE_CHAT)) == 1, "said once"

        site.add("/rss.xml", rss(items(site, 0, 1, 2, 3)), RSS_TYPE)
        await tick(env, 4 * HOUR)
        after = texts(env, PRIVATE_CHAT)[-1]
        assert HEADLINES[3] in after, "deliveries run again"
        assert not any(HEADLINES[2] in t for t in texts(env, PRIVATE_CHAT)), "no backlog burst"


async def test_a_group_that_removed_the_bot_rests_until_it_is_added_again(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        await followed(env, site, GROUP_CHAT)

        # Removed, and Telegram says so: the feeds rest at once, nothing is even tried.
        env.server.block(GROUP_CHAT, "Forbidden: bot was kicked from the supergroup chat")
        env.server.push_my_chat_member(GROUP_CHAT, "member", "kicked")
        await env.settled()
        assert (await feeds_of(env).subscriptions(GROUP_CHAT))[0].unreachable
        polls = site.paths_requested().count("/rss.xml")
        site.add("/rss.xml", rss(items(site, 0, 1)), RSS_TYPE)
        await tick(env, HOUR)
        assert site.paths_requested().count("/rss.xml") == polls, "nobody left to poll for"
        assert attempts(env, GROUP_CHAT) == 1, "only 'Now following'"
        listing = await env.ask_one(PRIVATE_CHAT, "/feeds")  # the admin's own: none
        assert "follows no feeds" in visible(listing)

        env.server.unblock(GROUP_CHAT)
        env.server.push_my_chat_member(GROUP_CHAT, "left", "member")
        await env.settled()
        sent = texts(env, GROUP_CHAT)
        assert RESUMED in sent[-1] and len(sent) == 3, sent  # after the introduction
        site.add("/rss.xml", rss(items(site, 0, 1, 2)), RSS_TYPE)
        await tick(env, 2 * HOUR)
        assert HEADLINES[2] in texts(env, GROUP_CHAT)[-1]
        assert not any(HEADLINES[1] in t for t in texts(env, GROUP_CHAT))


async def test_a_chat_that_is_gone_is_paused_on_chat_not_found(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        await followed(env, site, PRIVATE_CHAT)
        env.server.fail_next("sendMessage", 400, description="Bad Request: chat not found")
        site.add("/rss.xml", rss(items(site, 0, 1)), RSS_TYPE)
        await tick(env, HOUR)
        (sub,) = await feeds_of(env).subscriptions(PRIVATE_CHAT)
        assert sub.unreachable
        listing = await env.ask_one(PRIVATE_CHAT, "/feeds")
        assert "1. Stadtanzeiger — paused: I could not post to the chat" in visible(listing)
