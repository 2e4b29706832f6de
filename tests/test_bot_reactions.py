"""Quiet acknowledgement in groups, end to end: a request in a group gets a 👀 reaction
(setMessageReaction) instead of a "typing…" status; private chats keep "typing…"; a reaction
Telegram refuses never costs the answer."""

from __future__ import annotations

from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import GERMAN_ARTICLE, GROUP_CHAT, PRIVATE_CHAT, BotEnv
from tests.support.telegram_html import parse_telegram_html


def _typing_in(env: BotEnv, chat_id: int) -> int:
    return sum(c.params.get("chat_id") == chat_id for c in env.server.calls("sendChatAction"))


async def test_group_requests_get_a_reaction_instead_of_typing(env: BotEnv) -> None:
    request = env.server.push_message(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}")
    await env.settled()
    [reply] = env.server.sent_messages(GROUP_CHAT)
    assert "German (de)" in parse_telegram_html(reply.text or "")
    assert env.server.reactions(GROUP_CHAT, request["message_id"]) == ["👀"]
    assert _typing_in(env, GROUP_CHAT) == 0


async def test_private_chats_keep_typing_and_get_no_reaction(env: BotEnv) -> None:
    request = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    assert _typing_in(env, PRIVATE_CHAT) == 1
    assert env.server.reactions(PRIVATE_CHAT, request["message_id"]) == []
    assert env.server.calls("setMessageReaction") == []


async def test_a_refused_reaction_still_gets_the_answer(env: BotEnv) -> None:
    env.server.fail_next("setMessageReaction", 400, description="Bad Request: REACTION_INVALID")
    replies = await env.ask(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}")
    assert len(replies) == 1 and "German (de)" in parse_telegram_html(replies[0].text or "")
    assert [c.status for c in env.server.calls("setMessageReaction")] == [400]


async def test_the_original_summary_is_folded_next_to_its_translations(env: BotEnv) -> None:
    await env.storage.settings.update_chat_settings(
        GROUP_CHAT, env.config.defaults, show_source=True
    )
    reply = await env.ask_one(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}")
    html = reply.text or ""
    original = html.index("German (original)")
    assert html.index("<b>English</b>") < original
    folded = html[original:]
    assert folded.count("<blockquote expandable>• ") == 1 and folded.endswith("</blockquote>")
    assert html.count("<blockquote") == 1, "the translations stay open"
    # Without translations the original is the summary itself: not folded.
    await env.storage.settings.update_chat_settings(
        GROUP_CHAT, env.config.defaults, target_languages=("de",)
    )
    alone = await env.ask_one(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}")
    assert "<blockquote" not in (alone.text or "")


SHORT_ARTICLE = (
    "Der Stadtrat hat am Dienstag ein neues Verkehrskonzept beschlossen. "
    "Busse und Bahnen sollen künftig öfter fahren."
)


async def test_a_full_translation_that_fits_is_folded_in_groups_only(env: BotEnv) -> None:
    article = env.server.push_message(GROUP_CHAT, SHORT_ARTICLE)
    await env.settled()
    folded = await env.ask_one(GROUP_CHAT, "/translate en", reply_to=article["message_id"])
    html = folded.text or ""
    heading, _, body = html.partition("\n\n")
    assert "Translation" in parse_telegram_html(heading)
    assert body.startswith("<blockquote expandable>") and body.endswith("</blockquote>")
    original = env.server.push_message(PRIVATE_CHAT, SHORT_ARTICLE)
    await env.settled()
    private = await env.ask_one(PRIVATE_CHAT, "/translate en", reply_to=original["message_id"])
    assert "<blockquote" not in (private.text or "")
    assert parse_telegram_html(private.text or "") == parse_telegram_html(html)
