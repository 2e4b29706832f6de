"""Write docs/transcript.md: what chat users see, from a real run of the bot.

The real PTB Application runs against the loopback Bot API server of the test suite, with the
builder's random-weight test models (so translated bullets are gibberish by design); every
message, edit, button and pop-up below is what that server received from the bot.

    .venv/bin/python docs/transcript.py            # rewrites docs/transcript.md
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.bot_api_server import BOT_USERNAME, BotApiServer, SentMessage
from tests.support.bot_harness import GERMAN_ARTICLE, BotEnv, bot_config, buttons
from tests.support.models import install_test_packages
from tests.support.telegram_html import parse_telegram_html
from translation.models.engine import TranslationEngine

OUT = Path(__file__).with_name("transcript.md")
ANNA, BEN, OLENA, JONAS = 2001, 2002, 2003, 2004
GROUP = -100555


def _clip(line: str) -> str:
    """Bullets and paragraphs of the test models' gibberish cut for reading (the bot sent
    them whole); the bot's own texts are never cut."""
    limit = 150 if line.startswith("• ") else 600
    return line if len(line) <= limit else line[: limit - 1].rstrip() + " […]"


class Transcript:
    """Pushes what a user does, waits until the bot is done, and writes down what it showed."""

    def __init__(self, env: BotEnv) -> None:
        self.env = env
        self.lines: list[str] = []

    def heading(self, text: str) -> None:
        self.lines += [f"## {text}", ""]

    def note(self, text: str) -> None:
        self.lines += [f"*{text}*", ""]

    def _user(self, name: str, text: str) -> None:
        quoted = text if len(text) < 160 else text[:157].rstrip() + "…"
        self.lines += [f"**{name}:** {quoted}".replace("\n", " "), ""]

    def _bot(self, message: SentMessage, popup: str | None = None) -> None:
        text = self.env.server.message_text(message.chat_id, message.message_id) or ""
        body = parse_telegram_html(text) if message.parse_mode == "HTML" else text
        self.lines.append("> **Briefbot:**")
        self.lines += [f"> {_clip(line)}".rstrip() for line in body.splitlines()]
        labels = list(buttons(self._current(message)))
        if labels:
            self.lines += [">", "> " + " ".join(f"`[{label}]`" for label in labels)]
        self.lines.append("")

    async def say(self, chat: int, name: str, text: str, **kwargs: Any) -> list[SentMessage]:
        self._user(name, text)
        replies = await self.env.ask(chat, text, **kwargs)
        for reply in replies:
            self._bot(reply)
        return replies

    async def tap(
        self, chat: int, user: int, name: str, message: SentMessage, label: str, **kwargs: Any
    ) -> None:
        self.lines += [f"*{name} taps `[{label}]`*", ""]
        before = {m.message_id for m in self.env.server.sent_messages(chat)}
        old_text = self.env.server.message_text(chat, message.message_id)
        data = buttons(self._current(message))[label]
        answer = await self.env.press(chat, user, data, message.message_id, **kwargs)
        if answer.get("text"):
            kind = "pop-up" if answer.get("show_alert") else "toast"
            self.lines += [f"> *({kind}) {answer['text']}*", ""]
        for sent in self.env.server.sent_messages(chat):
            if sent.message_id not in before:
                self._bot(sent)
        if self.env.server.message_text(chat, message.message_id) != old_text:
            self.lines.append("*(the message above now reads:)*")
            self.lines.append("")
            self._bot(self._current(message))

    def _current(self, message: SentMessage) -> SentMessage:
        for sent in self.env.server.sent_messages(message.chat_id):
            if sent.message_id == message.message_id:
                return sent
        return message


async def scenes(tr: Transcript) -> None:
    env = tr.env
    tr.heading("A private chat")
    await tr.say(ANNA, "Anna", "/start", user_id=ANNA)
    await tr.say(ANNA, "Anna", "Wie funktioniert das hier?", user_id=ANNA)
    (summary,) = await tr.say(ANNA, "Anna", GERMAN_ARTICLE, user_id=ANNA)
    await tr.tap(ANNA, ANNA, "Anna", summary, "Shorter")
    await tr.tap(ANNA, ANNA, "Anna", summary, "Full translation: English")
    await tr.tap(ANNA, ANNA, "Anna", summary, "Full translation: English")
    await tr.say(ANNA, "Anna", "https://example.org:25/artikel", user_id=ANNA)

    tr.heading("A group: an admin changes the settings")
    env.server.add_chat(GROUP, "supergroup", "Nachrichten aus Köln")
    env.server.set_member(GROUP, BEN, "administrator")
    env.server.set_member(GROUP, JONAS, "member")
    await tr.say(GROUP, "Jonas (member)", "/settings", user_id=JONAS)
    (menu,) = await tr.say(GROUP, "Ben (admin)", "/settings", user_id=BEN)
    await tr.tap(GROUP, BEN, "Ben", menu, "Group mode")
    await tr.tap(GROUP, BEN, "Ben", menu, "Automatically (links and long texts)")
    await tr.tap(GROUP, BEN, "Ben", menu, "« Back")
    await tr.tap(GROUP, JONAS, "Jonas", menu, "Languages")
    await tr.tap(GROUP, BEN, "Ben", menu, "Done")
    await tr.say(GROUP, "Jonas", GERMAN_ARTICLE, user_id=JONAS)
    await tr.say(GROUP, "Jonas", f"@{BOT_USERNAME} was heißt das?", user_id=JONAS)

    tr.heading("German UI")
    tr.note("Telegram reports the user's language as de: the bot answers in German.")
    german = {"user_id": JONAS, "language_code": "de"}
    await tr.say(JONAS, "Jonas", "/start", **german)
    (menu,) = await tr.say(JONAS, "Jonas", "/settings", **german)
    await tr.tap(JONAS, JONAS, "Jonas", menu, "Länge", language_code="de")
    await tr.tap(JONAS, JONAS, "Jonas", menu, "4", language_code="de")
    await tr.tap(JONAS, JONAS, "Jonas", menu, "« Zurück", language_code="de")
    await tr.tap(JONAS, JONAS, "Jonas", menu, "Fertig", language_code="de")
    await tr.say(JONAS, "Jonas", GERMAN_ARTICLE, **german)

    tr.heading("Ukrainian UI")
    tr.note("Telegram reports the user's language as uk: the bot answers in Ukrainian.")
    ukrainian = {"user_id": OLENA, "language_code": "uk"}
    await tr.say(OLENA, "Olena", "/start", **ukrainian)
    await tr.say(OLENA, "Olena", "Привіт!", **ukrainian)
    await tr.say(OLENA, "Olena", GERMAN_ARTICLE, **ukrainian)
    original = env.server.sent_messages(OLENA)[-1]
    await tr.say(
        OLENA, "Olena", "/translate klingonisch", reply_to=original.message_id, **ukrainian
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        install_test_packages(root / "packages", cache_dir=root / "cache")
        engine = TranslationEngine(root / "packages")
        try:
            async with BotApiServer() as server:
                config = bot_config(root, server.base_url, root / "packages")
                env = BotEnv(server, config, engine)
                async with env.running():
                    tr = Transcript(env)
                    await scenes(tr)
        finally:
            engine.close()
    header = [
        "# What chat users see",
        "",
        "Generated by `docs/transcript.py` from a real run: the bot (python-telegram-bot "
        "Application, the same code as `briefbot run`) against the test suite's loopback Bot "
        "API server. The translation models are the builder's **random-weight test packages**, "
        "so translated bullets are gibberish by design; everything else is what users read. "
        "Formatting (bold, links) is flattened to plain text, the gibberish is cut here (`[…]`), "
        "buttons are shown as `[Label]`.",
        "",
    ]
    OUT.write_text("\n".join(header + tr.lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
