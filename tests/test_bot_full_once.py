"""Issue 14, bug 2: one full translation per summary and language, however often it is pressed;
a refused press answers with a pop-up, never with a message in the group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import GERMAN_ARTICLE, GROUP_CHAT, BotEnv, bot_env, buttons
from translation.models.engine import TranslationEngine

REQUESTER, OTHER = 3101, 3102
FULL = "Full translation: English"


def _answers(env: BotEnv, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {q["id"] for q in queries}
    return [
        c.params
        for c in env.server.calls("answerCallbackQuery")
        if c.params.get("callback_query_id") in ids
    ]


def _replies_to(env: BotEnv, message_id: int) -> int:
    return sum(
        1
        for c in [*env.server.calls("sendMessage"), *env.server.calls("sendDocument")]
        if (c.params.get("reply_parameters") or {}).get("message_id") == message_id
    )


async def test_three_presses_post_one_translation(env: BotEnv) -> None:
    summary = await env.ask_one(GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}", user_id=REQUESTER)
    data = buttons(summary)[FULL]
    before = len(env.server.sent_messages(GROUP_CHAT))
    queries = [
        env.server.push_callback_query(GROUP_CHAT, user, data, summary.message_id)
        for user in (REQUESTER, REQUESTER, OTHER)
    ]
    await env.settled()
    assert _replies_to(env, summary.message_id) == 1, "one translation (its first part)"
    parts = len(env.server.sent_messages(GROUP_CHAT)) - before
    answers = _answers(env, queries)
    assert len(answers) == 3, "every press is answered"
    pop_ups = [a for a in answers if a.get("show_alert")]
    assert len(pop_ups) == 2
    assert all("English" in a["text"] for a in pop_ups)

    later = env.server.push_callback_query(GROUP_CHAT, OTHER, data, summary.message_id)
    await env.settled()
    (answer,) = _answers(env, [later])
    assert "already in the chat" in answer["text"]
    assert len(env.server.sent_messages(GROUP_CHAT)) == before + parts


async def test_a_rate_limited_press_gets_a_pop_up_not_a_group_message(
    tmp_path: Path, packages_dir: Path, engine: TranslationEngine
) -> None:
    limits = {"per_user_per_minute": 1, "per_chat_per_minute": 1000}
    async with bot_env(tmp_path, packages_dir, engine, limits=limits) as env:
        summary = await env.ask_one(
            GROUP_CHAT, f"@{BOT_USERNAME} {GERMAN_ARTICLE}", user_id=REQUESTER
        )
        before = len(env.server.sent_messages(GROUP_CHAT))
        answer = await env.press(GROUP_CHAT, REQUESTER, buttons(summary)[FULL], summary.message_id)
        assert answer.get("show_alert") is True
        assert "too fast" in answer["text"]
        assert len(env.server.sent_messages(GROUP_CHAT)) == before
        # Refused is not posted: another member may still ask for it.
        answer = await env.press(GROUP_CHAT, OTHER, buttons(summary)[FULL], summary.message_id)
        assert not answer.get("show_alert")
        assert _replies_to(env, summary.message_id) == 1
