"""Commands: the registered lists, /start /help /languages in English and German, usage errors,
and the owner-only /stats and /models."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    OWNER_ID,
    PRIVATE_CHAT,
    BotEnv,
    bot_env,
)
from tests.support.telegram_html import parse_telegram_html
from translation.models.argos_packages import install_from_path
from translation.models.engine import TranslationEngine

PUBLIC = [
    "start",
    "help",
    "settings",
    "summarize",
    "translate",
    "languages",
    "follow",
    "feeds",
    "unfollow",
    "channel",
]


async def _visible(env: BotEnv, chat_id: int, text: str, **kwargs: object) -> str:
    reply = await env.ask_one(chat_id, text, **kwargs)
    return parse_telegram_html(reply.text or "")


async def test_commands_are_registered_per_language_and_for_owners(env: BotEnv) -> None:
    default = env.server.commands()
    assert [c["command"] for c in default] == PUBLIC
    german = env.server.commands(language_code="de")
    assert [c["command"] for c in german] == PUBLIC
    assert german[0]["description"] != default[0]["description"]
    owner = env.server.commands({"type": "chat", "chat_id": OWNER_ID})
    assert [c["command"] for c in owner] == [*PUBLIC, "stats", "models"]


async def test_start_help_and_languages_in_english_and_german(env: BotEnv) -> None:
    assert "Send me a link" in await _visible(env, PRIVATE_CHAT, "/start")
    assert "Hallo!" in await _visible(env, 2222, "/start", user_id=2222, language_code="de-AT")
    german_help = await _visible(env, 2223, "/help", user_id=2223, language_code="de")
    assert "Schick mir" in german_help
    assert "100.000 Zeichen pro Text, 1.000 Sätze" in german_help  # German digit grouping
    help_text = await _visible(env, PRIVATE_CHAT, "/help")
    assert "/translate LANG" in help_text and "2 MB" in help_text
    assert "100,000 characters per text, 1,000 sentences" in help_text
    # An unsupported Telegram language falls back to English.
    assert "Send me a link" in await _visible(env, 2224, "/start", user_id=2224, language_code="ja")

    languages = await _visible(env, PRIVATE_CHAT, "/languages")
    assert "German (de) → English (en)" in languages
    assert "Reachable via English:" in languages
    assert "German (de) → French (fr)" in languages.split("Reachable via English:")[1]


async def test_languages_in_a_group_name_the_groups_languages(env: BotEnv) -> None:
    languages = await _visible(env, GROUP_CHAT, "/languages")
    assert "This group's summary languages:" in languages
    assert "Your summary languages:" not in languages


async def test_an_unknown_command_gets_a_pointer_to_help_in_private_only(env: BotEnv) -> None:
    assert await _visible(env, PRIVATE_CHAT, "/summarise") == (
        "I don't know the command /summarise. /help lists what I can do."
    )
    german = await _visible(env, 2225, "/hilfe@briefbot", user_id=2225, language_code="de")
    assert german == "Den Befehl /hilfe kenne ich nicht. /help zeigt, was ich kann."
    assert await env.ask(GROUP_CHAT, "/otherbot_command") == []  # maybe another bot's


async def test_usage_errors(env: BotEnv) -> None:
    assert "Reply to a message with /translate" in await _visible(env, PRIVATE_CHAT, "/translate")
    original = env.server.push_message(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.settled()
    unknown = await _visible(env, PRIVATE_CHAT, "/translate x1", reply_to=original["message_id"])
    assert "I don't know the language “x1”. /languages lists the languages" in unknown
    missing = await _visible(env, PRIVATE_CHAT, "/translate es", reply_to=original["message_id"])
    assert "A translation from German into Spanish isn't available yet." in missing
    mine = env.server.push_message(OWNER_ID, GERMAN_ARTICLE, user_id=OWNER_ID)
    await env.settled()
    owner = await _visible(
        env, OWNER_ID, "/translate es", user_id=OWNER_ID, reply_to=mine["message_id"]
    )
    assert "No translation model for German→Spanish. Install:" in owner


async def test_stats_for_owners_only(env: BotEnv) -> None:
    await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    await env.ask_one(PRIVATE_CHAT, GERMAN_ARTICLE)
    assert "only for the bot's owners" in await _visible(env, PRIVATE_CHAT, "/stats")
    stats = await _visible(env, OWNER_ID, "/stats", user_id=OWNER_ID)
    assert "Requests: 2 (2 today)" in stats
    assert "Cache hit rate: 50%" in stats
    assert "Queue: 0 waiting, 0 running (capacity 32)" in stats
    assert "translate:" in stats and "total:" in stats


async def test_models_lists_and_installs_for_owners(
    tmp_path: Path, engine: TranslationEngine, test_package_files: dict[tuple[str, str], Path]
) -> None:
    packages = tmp_path / "packages"
    install_from_path(test_package_files[("de", "en")], packages_dir=packages)
    own_engine = TranslationEngine(packages)
    extra = tmp_path / "upload" / test_package_files[("en", "fr")].name
    extra.parent.mkdir()
    shutil.copy(test_package_files[("en", "fr")], extra)
    async with bot_env(tmp_path, packages, own_engine) as env:
        assert "only for the bot's owners" in await _visible(env, PRIVATE_CHAT, "/models")
        listing = await _visible(env, OWNER_ID, "/models", user_id=OWNER_ID)
        assert "de → en" in listing and "en → fr" not in listing
        installed = await _visible(env, OWNER_ID, f"/models install {extra}", user_id=OWNER_ID)
        assert "✓ en → fr" in installed and "en → fr" in installed.split("✓ en → fr")[1]
        languages = await _visible(env, PRIVATE_CHAT, "/languages")
        assert "German (de) → French (fr)" in languages
    own_engine.close()
