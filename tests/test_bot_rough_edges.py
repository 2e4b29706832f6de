"""Issue 14's rough edges, through the real Application and the loopback Bot API: user vs
owner wording for missing models, language names in /translate, a named link refusal, the
auto-mode warning."""

from __future__ import annotations

from tests.support.bot_api_server import SentMessage
from tests.support.bot_harness import (
    GERMAN_ARTICLE,
    GROUP_CHAT,
    OWNER_ID,
    PRIVATE_CHAT,
    BotEnv,
    buttons,
)
from tests.support.telegram_html import parse_telegram_html

SPANISH = (
    "El ayuntamiento aprobó el martes un nuevo plan de transporte para el centro de la ciudad. "
    "Los autobuses y tranvías pasarán cada cinco minutos en las horas punta. "
    "La alcaldesa habló de un paso importante para la protección del clima en la región. "
    "La oposición criticó que la financiación todavía no está asegurada."
)
ADMIN = 3003


async def _visible(env: BotEnv, chat: int, text: str, **kwargs: object) -> str:
    reply = await env.ask_one(chat, text, **kwargs)
    return parse_telegram_html(reply.text or "")


async def test_users_are_told_a_language_is_unavailable_owners_what_to_install(
    env: BotEnv,
) -> None:
    user = await _visible(env, PRIVATE_CHAT, SPANISH)
    assert "English isn't available for this article yet." in user
    assert "Install" not in user and "es→en" not in user
    owner = await _visible(env, OWNER_ID, SPANISH, user_id=OWNER_ID)
    assert "English isn't available for this article yet. Install: es→en" in owner


async def test_translate_accepts_language_names_and_points_to_languages(env: BotEnv) -> None:
    german = 2700
    original = env.server.push_message(german, GERMAN_ARTICLE, user_id=german, language_code="de")
    await env.settled()

    async def translate(language: str) -> list[SentMessage]:
        command = f"/translate {language}"
        return await env.ask(
            german, command, user_id=german, language_code="de", reply_to=original["message_id"]
        )

    replies = await translate("französisch")
    assert replies and "Französisch" in parse_telegram_html(replies[0].text or "")
    (unknown,) = await translate("blabla")
    assert parse_telegram_html(unknown.text or "") == (
        "Die Sprache „blabla“ kenne ich nicht. /languages zeigt, in welche Sprachen ich übersetze."
    )


async def test_a_link_refused_for_its_port_names_the_port(env: BotEnv) -> None:
    visible = await _visible(env, PRIVATE_CHAT, "https://example.org:25/artikel")
    assert visible == (
        "⚠️ I can't open this link: Port 25 is not used for web pages; only public web pages "
        "are allowed."
    )


async def test_auto_mode_warns_when_the_bot_cannot_read_the_group(env: BotEnv) -> None:
    assert env.app is not None
    env.server.set_member(GROUP_CHAT, ADMIN, "administrator")
    env.server.set_member(GROUP_CHAT, env.app.bot.id, "member")
    menu = await env.ask_one(GROUP_CHAT, "/settings mode auto", user_id=ADMIN)
    warning = "Warning: in auto mode I must read the group's messages"
    assert warning in parse_telegram_html(menu.text or "")  # getMe: privacy mode on, no admin
    await env.press(GROUP_CHAT, ADMIN, buttons(menu)["Group mode"], menu.message_id)
    page = buttons(env.server.sent_messages(GROUP_CHAT)[-1])
    await env.press(GROUP_CHAT, ADMIN, page["Only when mentioned or asked"], menu.message_id)
    shown = parse_telegram_html(env.server.message_text(GROUP_CHAT, menu.message_id) or "")
    assert warning not in shown
    assert env.app is not None
    env.server.set_member(
        GROUP_CHAT, env.app.bot.id, "administrator"
    )  # an admin sees every message
    menu = await env.ask_one(GROUP_CHAT, "/settings mode auto", user_id=ADMIN)
    assert warning not in parse_telegram_html(menu.text or "")
