"""The live answer in private chats, end to end: the source-language summary appears at once,
each language as it is translated (edits of the same message), ending in the same final
message as without a live answer; groups get one message as before."""

from __future__ import annotations

from typing import Any

from tests.support.bot_harness import GERMAN_ARTICLE, GROUP_CHAT, PRIVATE_CHAT, BotEnv, buttons
from tests.support.telegram_html import parse_telegram_html


def _history(env: BotEnv, chat_id: int) -> list[dict[str, Any]]:
    """Every text the bot sent or edited in the chat, in order."""
    return [
        c.params
        for c in env.server.calls()
        if c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == chat_id
    ]


async def _two_languages(env: BotEnv, chat_id: int) -> None:
    await env.storage.settings.update_chat_settings(
        chat_id, env.config.defaults, target_languages=("en", "fr")
    )


async def test_each_language_appears_as_soon_as_it_is_translated(env: BotEnv) -> None:
    await _two_languages(env, PRIVATE_CHAT)
    env.runtime.service.live_interval = 0.0  # no throttling: every step is shown
    reply = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    steps = _history(env, PRIVATE_CHAT)
    assert [s.get("message_id") for s in steps] == [None, reply.message_id, reply.message_id]
    first, second, final = (parse_telegram_html(s["text"]) for s in steps)
    assert "\nGerman\n" in first and first.endswith("Translating to English, French…")
    assert "\nEnglish\n" not in first
    assert "\nGerman\n" in second and "\nEnglish\n" in second
    assert second.endswith("Translating to French…") and "\nFrench" not in second
    assert steps[0].get("reply_markup") is None, "no buttons before the answer is complete"
    assert final == parse_telegram_html(reply.text or "")
    assert "Translating" not in final and "\nFrench (via English)\n" in final
    assert set(buttons(reply)) >= {"Shorter", "Longer", "Original summary"}


async def test_the_final_message_is_the_same_as_without_a_live_answer(env: BotEnv) -> None:
    other_chat = PRIVATE_CHAT + 1
    for chat in (PRIVATE_CHAT, other_chat):
        await _two_languages(env, chat)
    live = await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    first = _history(env, PRIVATE_CHAT)[0]
    assert "\nGerman\n" in parse_telegram_html(first["text"]), "the source summary comes first"
    env.runtime.service.live_interval = None
    await env.storage.db.execute("DELETE FROM results_cache")
    plain = await env.ask_one(other_chat, GERMAN_ARTICLE)
    assert len(_history(env, other_chat)) == 1
    assert plain.text == live.text and plain.reply_markup is not None


async def test_cached_answers_and_groups_get_one_message(env: BotEnv) -> None:
    await _two_languages(env, PRIVATE_CHAT)
    await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    count = len(_history(env, PRIVATE_CHAT))
    await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)  # a cache hit: nothing to wait for
    assert len(_history(env, PRIVATE_CHAT)) == count + 1
    await _two_languages(env, GROUP_CHAT)
    await env.ask_one(GROUP_CHAT, f"/summarize {GERMAN_ARTICLE.replace('Stadtrat', 'Gemeinderat')}")
    assert len(_history(env, GROUP_CHAT)) == 1
