"""/settings: private menus, admin-only changes in groups (checked at every press), signed
buttons, and settings that survive restarts and a group -> supergroup migration."""

from __future__ import annotations

from pathlib import Path

from bot.storage import Storage
from bot.telegram.callback_data import CallbackPayload
from tests.support.bot_api_server import BotApiServer
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    PRIVATE_CHAT,
    USER_ID,
    BotEnv,
    bot_config,
    buttons,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

ADMIN, MEMBER = 3003, 3004
FOREIGN_CHANNEL = -1009990001


async def _settings(env: BotEnv, chat_id: int) -> tuple[tuple[str, ...], int, str, str, bool]:
    s = await env.runtime.service.settings(chat_id)
    return s.target_languages, s.summary_sentences, s.algorithm, s.group_mode, s.show_source


async def test_private_menu_changes_languages_length_algorithm_and_source(env: BotEnv) -> None:
    menu = await env.ask_one(PRIVATE_CHAT, "/settings")
    assert "Your settings" in parse_telegram_html(menu.text or "")
    chat, mid = PRIVATE_CHAT, menu.message_id

    def current() -> dict[str, str]:
        return buttons(env.server.sent_messages(chat)[-1])

    await env.press(chat, USER_ID, current()["Languages"], mid)
    answer = await env.press(chat, USER_ID, current()["French (fr)"], mid)
    assert answer.get("text") == "Settings saved."
    assert "✓ French (fr)" in current()
    await env.press(chat, USER_ID, current()["« Back"], mid)
    await env.press(chat, USER_ID, current()["Length"], mid)
    await env.press(chat, USER_ID, current()["5"], mid)
    await env.press(chat, USER_ID, current()["« Back"], mid)
    await env.press(chat, USER_ID, current()["Algorithm"], mid)
    await env.press(chat, USER_ID, current()["LexRank"], mid)
    await env.press(chat, USER_ID, current()["« Back"], mid)
    await env.press(chat, USER_ID, current()["Show source summary: off"], mid)
    assert await _settings(env, chat) == (("en", "fr"), 5, "lexrank", "mention", True)
    assert "Group mode" not in current(), "no group mode in private chats"
    overview = parse_telegram_html(env.server.message_text(chat, mid) or "")
    assert "Group mode" not in overview and "Length: 5 sentences" in overview
    await env.press(chat, USER_ID, current()["Done"], mid)
    assert current() == {}

    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    visible = parse_telegram_html(reply.text or "")
    assert "English" in visible and "French" in visible and "German (original)" in visible
    assert visible.count("• ") == 15  # 5 sentences in each of three languages


async def test_private_text_command_and_last_language_kept(env: BotEnv) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, "/settings length 4")
    assert "Settings saved." in parse_telegram_html(reply.text or "")
    assert (await _settings(env, PRIVATE_CHAT))[1] == 4
    reply = await env.ask_one(PRIVATE_CHAT, "/settings languages xx")
    assert "I don't know the language code xx" in parse_telegram_html(reply.text or "")
    menu = await env.ask_one(PRIVATE_CHAT, "/settings")
    await env.press(PRIVATE_CHAT, USER_ID, buttons(menu)["Languages"], menu.message_id)
    page = buttons(env.server.sent_messages(PRIVATE_CHAT)[-1])
    answer = await env.press(PRIVATE_CHAT, USER_ID, page["✓ English (en)"], menu.message_id)
    assert answer.get("text") == "Keep at least one language."
    assert (await _settings(env, PRIVATE_CHAT))[0] == ("en",)


async def test_group_admin_changes_and_non_admin_is_refused(env: BotEnv) -> None:
    env.server.set_member(GROUP_CHAT, ADMIN, "administrator")
    env.server.set_member(GROUP_CHAT, MEMBER, "member")
    before = await _settings(env, GROUP_CHAT)

    refusal = await env.ask_one(GROUP_CHAT, "/settings mode auto", user_id=MEMBER)
    assert "Only group admins" in parse_telegram_html(refusal.text or "")
    assert await _settings(env, GROUP_CHAT) == before

    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=ADMIN)
    assert "Settings for" in parse_telegram_html(menu.text or "")
    assert "Group mode: Only when mentioned or asked" in parse_telegram_html(menu.text or "")
    mode_page = buttons(menu)["Group mode"]

    def member_checks() -> int:  # of people; the bot also asks about itself (auto mode)
        calls = env.server.calls("getChatMember")
        return sum(1 for c in calls if int(c.params["user_id"]) in (ADMIN, MEMBER))

    checks = member_checks()
    answer = await env.press(GROUP_CHAT, MEMBER, mode_page, menu.message_id)
    assert answer.get("show_alert") is True and "Only group admins" in answer["text"]
    await env.press(GROUP_CHAT, ADMIN, mode_page, menu.message_id)
    auto = buttons(env.server.sent_messages(GROUP_CHAT)[-1])["Automatically (links and long texts)"]
    answer = await env.press(GROUP_CHAT, MEMBER, auto, menu.message_id)
    assert answer.get("show_alert") is True
    assert await _settings(env, GROUP_CHAT) == before
    await env.press(GROUP_CHAT, ADMIN, auto, menu.message_id)
    assert (await _settings(env, GROUP_CHAT))[3] == "auto"
    assert member_checks() == checks + 4, "checked at every press"


async def test_admin_demoted_after_drawing_the_menu_is_refused(env: BotEnv) -> None:
    env.server.set_member(GROUP_CHAT, ADMIN, "creator")
    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=ADMIN)
    env.server.set_member(GROUP_CHAT, ADMIN, "member")
    before = await _settings(env, GROUP_CHAT)
    answer = await env.press(
        GROUP_CHAT, ADMIN, buttons(menu)["Show source summary: off"], menu.message_id
    )
    assert answer.get("show_alert") is True
    assert await _settings(env, GROUP_CHAT) == before


async def test_anonymous_admin_posting_as_the_group(env: BotEnv) -> None:
    reply = await env.ask_one(GROUP_CHAT, "/settings length 2", sender_chat=GROUP_CHAT)
    assert "Settings saved." in parse_telegram_html(reply.text or "")
    assert (await _settings(env, GROUP_CHAT))[1] == 2


async def test_posting_as_another_channel_cannot_change_group_settings(env: BotEnv) -> None:
    """Any member may post as a channel they own; only admins can post as the group itself.

    The user behind a channel is unknown, even when that user is an admin here: sending as a
    channel says nothing about rights in this group.
    """
    channel = env.server.add_chat(FOREIGN_CHANNEL, "channel", "Irgendein Kanal")
    env.server.set_member(GROUP_CHAT, ADMIN, "administrator")
    before = await _settings(env, GROUP_CHAT)
    for command in ("/settings length 2", "/settings mode auto", "/settings languages en,fr"):
        refusal = await env.ask_one(GROUP_CHAT, command, sender_chat=channel)
        assert parse_telegram_html(refusal.text or "") == "Only group admins can change settings."
    assert await _settings(env, GROUP_CHAT) == before
    assert env.server.calls("getChatMember") == [], "no member to look up behind a channel"

    # The group's own anonymous admin still can: the refusal is about the channel.
    reply = await env.ask_one(GROUP_CHAT, "/settings length 2", sender_chat=GROUP_CHAT)
    assert "Settings saved." in parse_telegram_html(reply.text or "")


async def test_forged_and_foreign_buttons_are_refused(env: BotEnv) -> None:
    other_group = -100888
    env.server.set_member(GROUP_CHAT, ADMIN, "administrator")
    env.server.set_member(other_group, ADMIN, "administrator")
    menu = await env.ask_one(GROUP_CHAT, "/settings", user_id=ADMIN)
    before = await _settings(env, other_group)
    forged = [
        "src|AAAAAAAAAAAAAAAAAAAAAA",
        "len|9",
        "mode|auto|" + buttons(menu)["Show source summary: off"].rsplit("|", 1)[1],
        "\u0000" * 10,
    ]
    # A payload this bot signed... for another chat: must not work here.
    signed_elsewhere = env.runtime.codec.encode(CallbackPayload("mode", ("auto",)), GROUP_CHAT)
    target = env.server.push_message(other_group, "hallo", user_id=ADMIN)
    await env.settled()
    for data in [*forged, signed_elsewhere, buttons(menu)["Group mode"]]:
        answer = await env.press(other_group, ADMIN, data, target["message_id"])
        assert answer.get("text") == "This button is not valid here.", data
        assert answer.get("show_alert") is True
    assert await _settings(env, other_group) == before
    assert not env.server.calls("editMessageText")


async def test_settings_survive_restart_and_supergroup_migration(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    old_group, new_group = -4321, -1004321
    async with BotApiServer() as server:
        env = BotEnv(server, bot_config(tmp_path, server.base_url, packages_dir), engine)
        server.set_member(old_group, ADMIN, "administrator")
        async with env.running():
            await env.ask_one(old_group, "/settings languages en,fr", user_id=ADMIN)
            await env.ask_one(old_group, "/settings mode auto", user_id=ADMIN)
        async with env.running():
            assert (await _settings(env, old_group))[:1] == (("en", "fr"),)
            server.push_message(old_group, "", user_id=ADMIN, migrate_to_chat_id=new_group)
            await env.settled()
            assert await _settings(env, new_group) == (("en", "fr"), 3, "news", "auto", False)
            reply = await env.ask_one(new_group, GERMAN_ARTICLE, user_id=ADMIN)
            assert "French" in parse_telegram_html(reply.text or "")


async def test_reply_to_a_migrated_chat_follows_it(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    """A job recorded for the old group id is answered in the supergroup (ChatMigrated)."""
    old_group, new_group = -5555, -1005555
    async with BotApiServer() as server:
        config = bot_config(tmp_path, server.base_url, packages_dir)
        storage = await Storage.open(config.storage.path)
        await storage.settings.update_chat_settings(old_group, config.defaults, summary_sentences=2)
        payload = {
            "kind": "summary",
            "destination": {"chat_id": old_group, "reply_to": None, "user_id": ADMIN},
            "source": {"kind": "text", "value": GERMAN_ARTICLE},
            "ui": "en",
            "origin": "asked",
        }
        await storage.jobs.create_job(old_group, ADMIN, None, "summary", payload)
        await storage.close()
        server.add_chat(old_group, "group")
        server.push_message(old_group, "x", user_id=ADMIN, migrate_to_chat_id=new_group)
        env = BotEnv(server, config, engine)
        async with env.running():
            await env.settled()
            sent = server.sent_messages(new_group)
            assert len(sent) == 1 and "German (de)" in parse_telegram_html(sent[0].text or "")
            assert server.sent_messages(old_group) == []
            assert (await _settings(env, new_group))[1] == 2
            assert await env.storage.jobs.count_unfinished() == 0
