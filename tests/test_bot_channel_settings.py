"""A channel's settings through /settings: in its discussion group (a button next to the
group's own settings) and in a private chat with an admin (``/settings <channel>``); every
press asks Telegram whether the presser administers the channel, so forged or demoted admins
change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram.callback_data import CallbackPayload, for_channel
from tests.support.bot_api_server import SentMessage
from tests.support.bot_harness import GERMAN_ARTICLE, BotEnv, buttons
from tests.support.telegram_html import parse_telegram_html

CHANNEL = -1009990011
DISCUSSION = -1009990012
ADMIN = 3013  # administers the channel and its discussion group
GROUP_ADMIN = 3014  # administers the discussion group only
STRANGER = 3015

CHANNEL_BUTTON = "Settings of the linked channel"
COMMENT = "Comment under posts with a summary"


@pytest.fixture
def env(env: BotEnv) -> BotEnv:
    """The bot, a channel with its discussion group, and who administers which."""
    env.server.link_discussion(CHANNEL, DISCUSSION, "Stadtnachrichten")
    env.server.set_member(CHANNEL, ADMIN, "creator")
    env.server.set_member(DISCUSSION, ADMIN, "administrator")
    env.server.set_member(DISCUSSION, GROUP_ADMIN, "administrator")
    return env


def _visible(message: SentMessage) -> str:
    return parse_telegram_html(message.text or "")


def _now(env: BotEnv, chat_id: int, message_id: int) -> SentMessage:
    """A bot message as it is now (after the edits of the menu)."""
    [message] = [m for m in env.server.sent_messages(chat_id) if m.message_id == message_id]
    return message


async def _press(
    env: BotEnv, chat_id: int, user_id: int, menu: SentMessage, label: str
) -> tuple[dict[str, Any], SentMessage]:
    """Press the button ``label`` of the menu as it is now; the answer and the menu after."""
    data = buttons(_now(env, chat_id, menu.message_id))[label]
    answer = await env.press(chat_id, user_id, data, menu.message_id)
    return answer, _now(env, chat_id, menu.message_id)


async def _channel(env: BotEnv) -> tuple[tuple[str, ...], str]:
    settings = await env.runtime.service.settings(CHANNEL)
    return settings.target_languages, settings.group_mode


async def test_the_discussion_groups_settings_lead_to_the_channels_and_back(env: BotEnv) -> None:
    group_before = await env.runtime.service.settings(DISCUSSION)
    menu = await env.ask_one(DISCUSSION, "/settings", user_id=ADMIN)
    assert _visible(menu).startswith("Settings for Stadtnachrichten Chat")
    assert CHANNEL_BUTTON in buttons(menu) and "Group mode" in buttons(menu)

    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, CHANNEL_BUTTON)
    assert _visible(shown) == "Channel Stadtnachrichten: off.\nLanguages: English."
    assert list(buttons(shown)) == [
        "Languages",
        "Channel mode",
        "« Settings of this group",
        "Done",
    ]
    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, "Channel mode")
    assert "What should I do with the channel's posts?" in _visible(shown)
    answer, shown = await _press(env, DISCUSSION, ADMIN, menu, COMMENT)
    assert answer.get("text") == "Settings saved."
    assert f"✓ {COMMENT}" in buttons(shown)
    await _press(env, DISCUSSION, ADMIN, menu, "« Back")
    await _press(env, DISCUSSION, ADMIN, menu, "Languages")
    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, "French (fr)")
    assert _visible(shown).startswith(
        "Channel Stadtnachrichten: summaries of posts with links or long texts as comments.\n"
        "Languages: English, French."
    )
    assert await _channel(env) == (("en", "fr"), "auto")

    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, "« Back")
    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, "« Settings of this group")
    assert _visible(shown).startswith("Settings for Stadtnachrichten Chat")
    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, CHANNEL_BUTTON)
    _answer, shown = await _press(env, DISCUSSION, ADMIN, menu, "Done")
    assert buttons(shown) == {} and _visible(shown).startswith("Channel Stadtnachrichten")
    assert await env.runtime.service.settings(DISCUSSION) == group_before

    env.server.push_channel_post(CHANNEL, GERMAN_ARTICLE)
    await env.settled()
    comment = env.server.sent_messages(DISCUSSION)[-1]
    assert "\nFrench (via English)\n" in _visible(comment), "the channel's new settings apply"


async def test_forged_and_demoted_channel_admins_change_nothing(env: BotEnv) -> None:
    before = await _channel(env)
    menu = await env.ask_one(DISCUSSION, "/settings", user_id=ADMIN)
    await _press(env, DISCUSSION, ADMIN, menu, CHANNEL_BUTTON)
    await _press(env, DISCUSSION, ADMIN, menu, "Channel mode")
    comment = buttons(_now(env, DISCUSSION, menu.message_id))[COMMENT]

    def channel_checks() -> int:
        calls = env.server.calls("getChatMember")
        return sum(1 for c in calls if int(c.params["chat_id"]) == CHANNEL)

    checks = channel_checks()
    for user in (GROUP_ADMIN, STRANGER):  # the group's admin is not the channel's
        answer = await env.press(DISCUSSION, user, comment, menu.message_id)
        assert answer == {
            "callback_query_id": answer["callback_query_id"],
            "text": "Only the channel's administrators can change its settings.",
            "show_alert": True,
        }
    env.server.set_member(CHANNEL, ADMIN, "member")  # demoted after the menu was drawn
    answer = await env.press(DISCUSSION, ADMIN, comment, menu.message_id)
    assert answer.get("show_alert") is True
    assert channel_checks() == checks + 3, "asked at every press"
    assert await _channel(env) == before

    # A channel payload signed for this group cannot aim at another channel, nor be used in
    # a chat it was not made for; a well-signed payload with a bad inner action is refused.
    codec = env.runtime.codec
    other = for_channel(-1009990099, CallbackPayload("mode", ("auto",)))
    mention = for_channel(CHANNEL, CallbackPayload("mode", ("mention",)))
    forged = [
        comment.replace(str(CHANNEL), "-1009990099"),
        codec.encode(other, -1009990098),
        codec.encode(mention, DISCUSSION),
    ]
    env.server.set_member(CHANNEL, ADMIN, "administrator")
    for data in forged:
        answer = await env.press(DISCUSSION, ADMIN, data, menu.message_id)
        assert answer.get("text") == "This button is not valid here.", data
    assert await _channel(env) == before


async def test_an_admin_sets_the_channel_in_a_private_chat(env: BotEnv) -> None:
    menu = await env.ask_one(ADMIN, f"/settings {CHANNEL}")
    assert _visible(menu) == "Channel Stadtnachrichten: off.\nLanguages: English."
    assert list(buttons(menu)) == ["Languages", "Channel mode", "Done"]
    await _press(env, ADMIN, ADMIN, menu, "Channel mode")
    await _press(env, ADMIN, ADMIN, menu, COMMENT)
    await _press(env, ADMIN, ADMIN, menu, "« Back")
    await _press(env, ADMIN, ADMIN, menu, "Languages")
    answer, _shown = await _press(env, ADMIN, ADMIN, menu, "✓ English (en)")
    assert answer.get("text") == "Keep at least one language."
    assert await _channel(env) == (("en",), "auto")
    assert (await env.runtime.service.settings(ADMIN)).group_mode != "auto", "not the user's"

    replies = {
        f"/settings {CHANNEL}": "Only the channel's administrators can change its settings.",
        "/settings @no_such_channel": "I can't find that channel.",
        f"/settings {DISCUSSION}": "I can't find that channel.",  # a group, not a channel
    }
    for command, expected in replies.items():
        reply = await env.ask_one(STRANGER, command)
        assert _visible(reply).startswith(expected), command
    own = await env.ask_one(STRANGER, "/settings")
    assert _visible(own).startswith("Your settings")
    saved = await env.ask_one(STRANGER, "/settings length 4")
    assert "Settings saved." in _visible(saved)
