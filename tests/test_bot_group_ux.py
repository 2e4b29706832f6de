"""Issue 14, bug 4 and group rough edges: /start in a group, "Done" in the settings menu,
read-only settings for members, and the introduction when the bot is added to a group."""

from __future__ import annotations

import time

from tests.support.bot_harness import GROUP_CHAT, PRIVATE_CHAT, USER_ID, BotEnv, buttons
from tests.support.telegram_html import parse_telegram_html

ADMIN, MEMBER = 3003, 3004


def _visible(env: BotEnv, chat_id: int, message_id: int) -> str:
    return parse_telegram_html(env.server.message_text(chat_id, message_id) or "")


async def test_start_in_a_group_explains_the_group_not_a_private_chat(env: BotEnv) -> None:
    reply = await env.ask_one(GROUP_CHAT, "/start", user_id=MEMBER)
    visible = parse_telegram_html(reply.text or "")
    assert "Send me a link" not in visible
    assert "Mode: Only when mentioned or asked" in visible
    assert "Mention me or reply to a message with /summarize." in visible
    assert "/settings" in visible
    private = parse_telegram_html((await env.ask_one(PRIVATE_CHAT, "/start")).text or "")
    assert "Send me a link" in private and "Mode:" not in private


async def test_done_says_saved_only_after_a_change_and_fits_the_mode(env: BotEnv) -> None:
    env.server.set_member(GROUP_CHAT, ADMIN, "administrator")
    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=ADMIN)
    await env.press(GROUP_CHAT, ADMIN, buttons(menu)["Done"], menu.message_id)
    closed = _visible(env, GROUP_CHAT, menu.message_id)
    assert closed == "Nothing changed. Mention me or reply to a message with /summarize."

    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=ADMIN)
    await env.press(GROUP_CHAT, ADMIN, buttons(menu)["Group mode"], menu.message_id)
    page = buttons(env.server.sent_messages(GROUP_CHAT)[-1])
    await env.press(
        GROUP_CHAT, ADMIN, page["Automatically (links and long texts)"], menu.message_id
    )
    page = buttons(env.server.sent_messages(GROUP_CHAT)[-1])
    await env.press(GROUP_CHAT, ADMIN, page["« Back"], menu.message_id)
    done = buttons(env.server.sent_messages(GROUP_CHAT)[-1])["Done"]
    await env.press(GROUP_CHAT, ADMIN, done, menu.message_id)
    closed = _visible(env, GROUP_CHAT, menu.message_id)
    assert closed == "Settings saved. I'll summarize links and long texts posted here."

    menu = await env.ask_one(PRIVATE_CHAT, "/settings length 4")
    await env.press(PRIVATE_CHAT, USER_ID, buttons(menu)["Done"], menu.message_id)
    assert _visible(env, PRIVATE_CHAT, menu.message_id) == (
        "Settings saved. Send me a text or a link."
    )


async def test_members_see_group_settings_read_only(env: BotEnv) -> None:
    env.server.set_member(GROUP_CHAT, MEMBER, "member")
    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=MEMBER)
    visible = parse_telegram_html(menu.text or "")
    assert "Group mode: Only when mentioned or asked" in visible
    assert "Only group admins can change settings." in visible
    before = await env.runtime.service.settings(GROUP_CHAT)
    answer = await env.press(GROUP_CHAT, MEMBER, buttons(menu)["Group mode"], menu.message_id)
    assert answer.get("show_alert") is True and "Only group admins" in answer["text"]
    assert await env.runtime.service.settings(GROUP_CHAT) == before


def _membership(chat_id: int, old: str, new: str) -> dict[str, object]:
    bot = {"id": 123456789, "is_bot": True, "first_name": "Briefbot", "username": "b_bot"}
    adder = {"id": ADMIN, "is_bot": False, "first_name": "Ada", "language_code": "de"}
    chat = {"id": chat_id, "type": "supergroup", "title": "Nachrichten"}
    return {
        "my_chat_member": {
            "chat": chat,
            "from": adder,
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot},
        }
    }


async def test_added_to_a_group_the_bot_introduces_itself_once(env: BotEnv) -> None:
    env.server.add_chat(GROUP_CHAT, "supergroup", "Nachrichten")
    env.server.push_raw(_membership(GROUP_CHAT, "left", "member"))
    await env.settled()
    sent = env.server.sent_messages(GROUP_CHAT)
    assert len(sent) == 1
    visible = parse_telegram_html(sent[0].text or "")
    assert "Modus: Nur wenn ich erwähnt oder gefragt werde" in visible  # who added it: German
    assert "/settings" in visible
    env.server.push_raw(_membership(GROUP_CHAT, "member", "left"))  # removed again: silence
    await env.settled()
    assert len(env.server.sent_messages(GROUP_CHAT)) == 1
