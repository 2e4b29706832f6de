"""Channels follow feeds, end to end through the real PTB Application: commands posted in the
channel itself (answered there, the command post deleted), or ``/follow @channel URL`` from a
private chat or the discussion group, checked with getChatMember on the channel at every
change and every button press. Deliveries go to the channel, in the channel's languages."""

from __future__ import annotations

from pathlib import Path

from tests.support.bot_harness import BotEnv, buttons
from tests.support.feed_fixtures import HEADLINES, RSS_TYPE, rss
from tests.support.http_servers import PageServer
from tests.test_bot_feeds import HOUR, feed_bot, feeds_of, items, news, tick, visible
from translation.models.engine import TranslationEngine

CHANNEL = -1009990011
DISCUSSION = -1009990012
ADMIN = 3011
STRANGER = 3012


def channel_messages(env: BotEnv) -> list[str]:
    return [visible(m) for m in env.server.sent_messages(CHANNEL)]


async def post(env: BotEnv, text: str) -> int:
    """An admin's post in the channel; its message id."""
    message, _forward = env.server.push_channel_post(CHANNEL, text)
    await env.settled()
    return int(message["message_id"])


def new_article(site: PageServer, *numbers: int) -> None:
    site.add("/rss.xml", rss(items(site, *numbers)), RSS_TYPE)


async def test_commands_posted_in_the_channel_follow_list_pause_and_unfollow(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        env.server.add_chat(CHANNEL, "channel", "Stadtnachrichten")
        env.server.set_member(CHANNEL, ADMIN, "administrator")
        await env.ask(ADMIN, f"/channel {CHANNEL} en,fr")  # the channel's languages
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)

        command = await post(env, f"/follow {feed}")
        assert channel_messages(env) == [
            "Now following Stadtanzeiger. New articles will arrive here from now on."
        ]
        assert env.server.message(CHANNEL, command) is None, "the command post is deleted"
        reply = env.server.calls("sendMessage")[-1].params
        assert "reply_parameters" not in reply, "no reply to a deleted post"

        new_article(site, 0, 1)
        await tick(env, HOUR)
        delivered = channel_messages(env)[-1]
        assert HEADLINES[1] in delivered
        assert "English" in delivered and "French (via English)" in delivered

        await post(env, "/feeds")
        listing = env.server.sent_messages(CHANNEL)[-1]
        assert "1. Stadtanzeiger — each article" in visible(listing)
        pause = buttons(listing)["⏸ 1"]
        refused = await env.press(CHANNEL, STRANGER, pause, listing.message_id)
        assert refused.get("show_alert") is True
        assert not (await feeds_of(env).subscriptions(CHANNEL))[0].paused
        assert (await env.press(CHANNEL, ADMIN, pause, listing.message_id))["text"] == "Saved."
        assert (await feeds_of(env).subscriptions(CHANNEL))[0].paused

        await post(env, "/unfollow 1")
        assert channel_messages(env)[-1] == "Unfollowed Stadtanzeiger."
        assert await feeds_of(env).subscriptions(CHANNEL) == []


async def test_a_channel_admin_follows_from_a_private_chat_forged_admins_are_refused(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        env.server.link_discussion(CHANNEL, DISCUSSION, "Stadtnachrichten")
        env.server.set_member(CHANNEL, ADMIN, "administrator")
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)

        stranger = await env.ask_one(STRANGER, f"/follow {CHANNEL} {feed}")
        assert visible(stranger) == "Only admins of that channel can change its feeds."
        # Posted "as" the discussion group (its anonymous admin), not as the channel.
        as_group = await env.ask_one(
            DISCUSSION, f"/follow {CHANNEL} {feed}", user_id=STRANGER, sender_chat=DISCUSSION
        )
        assert "Only admins of that channel" in visible(as_group)
        unknown = await env.ask_one(ADMIN, f"/follow @keinkanal {feed}")
        assert "I cannot find the channel @keinkanal" in visible(unknown)
        assert await feeds_of(env).subscriptions(CHANNEL) == []

        done = await env.ask_one(ADMIN, f"/follow {CHANNEL} {feed}")
        assert visible(done) == (
            "Channel Stadtnachrichten now follows Stadtanzeiger. "
            "New articles will be posted there from now on."
        )
        assert await feeds_of(env).subscriptions(ADMIN) == [], "the channel's, not the admin's"
        new_article(site, 0, 2)
        await tick(env, HOUR)
        assert HEADLINES[2] in channel_messages(env)[-1]
        assert not any(HEADLINES[2] in visible(m) for m in env.server.sent_messages(ADMIN))

        listing = await env.ask_one(ADMIN, f"/feeds {CHANNEL}")
        assert visible(listing).startswith("Channel Stadtnachrichten:\nFeeds followed")
        pause = buttons(listing)["⏸ 1"]
        assert (await env.press(ADMIN, ADMIN, pause, listing.message_id))["text"] == "Saved."
        assert (await feeds_of(env).subscriptions(CHANNEL))[0].paused
        edited = visible(env.server.sent_messages(ADMIN)[-1])
        assert edited.startswith("Channel Stadtnachrichten:\n") and "— paused" in edited
        # Demoted in between: the next press is refused (asked again, not remembered).
        env.server.set_member(CHANNEL, ADMIN, "member")
        resume = buttons(env.server.sent_messages(ADMIN)[-1])["▶️ 1"]
        refused = await env.press(ADMIN, ADMIN, resume, listing.message_id)
        assert refused.get("show_alert") is True
        assert (await feeds_of(env).subscriptions(CHANNEL))[0].paused
        # A button of the channel's list does not work copied into another chat.
        env.server.add_chat(STRANGER)
        forged = await env.press(STRANGER, STRANGER, resume, listing.message_id)
        assert forged.get("show_alert") is True

        # Posting as the channel in its discussion group is the channel's admins' word.
        gone = await env.ask_one(DISCUSSION, f"/unfollow {CHANNEL} 1", sender_chat=CHANNEL)
        assert visible(gone) == "Channel Stadtnachrichten:\nUnfollowed Stadtanzeiger."
        assert await feeds_of(env).subscriptions(CHANNEL) == []


async def test_opml_import_into_a_channel_posted_there_or_named_from_a_private_chat(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    async with news() as site, feed_bot(tmp_path, packages_dir, engine) as env:
        env.server.add_chat(CHANNEL, "channel", "Stadtnachrichten")
        env.server.set_member(CHANNEL, ADMIN, "administrator")
        feed = site.add("/rss.xml", rss(items(site, 0)), RSS_TYPE)
        opml = (
            b'<?xml version="1.0"?><opml version="2.0"><body>'
            b'<outline text="Stadtanzeiger" xmlUrl="' + feed.encode() + b'"/></body></opml>'
        )
        document = ("feeds.opml", "text/x-opml", opml)

        # From a private chat, naming the channel: strangers refused, the admin imports.
        refused = await env.ask_one(STRANGER, None, caption=f"/import {CHANNEL}", document=document)
        assert visible(refused) == "Only admins of that channel can change its feeds."
        assert await feeds_of(env).subscriptions(CHANNEL) == []
        done = await env.ask_one(ADMIN, None, caption=f"/import {CHANNEL}", document=document)
        assert visible(done) == "Channel Stadtnachrichten:\nImported 1 of 1 feed."
        assert [s.url for s in await feeds_of(env).subscriptions(CHANNEL)] == [feed]
        assert await feeds_of(env).subscriptions(ADMIN) == [], "the channel's, not the admin's"

        # Posted in the channel itself: answered there, the command post deleted.
        await post(env, "/unfollow 1")
        message, _forward = env.server.push_channel_post(
            CHANNEL, caption="/import", document=document
        )
        await env.settled()
        assert channel_messages(env)[-1] == "Imported 1 of 1 feed."
        assert env.server.message(CHANNEL, int(message["message_id"])) is None
        assert [s.url for s in await feeds_of(env).subscriptions(CHANNEL)] == [feed]
