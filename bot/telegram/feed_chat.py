"""The ChatPort feed deliveries go through: ``TelegramChat``, except that a chat which blocked
or removed the bot raises the core's ``ChatUnreachable``, so its subscriptions rest instead of
failing (and being retried) at every poll.

Only deliveries nobody asked for right now need this: a user's own request that cannot be
answered is simply not answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from telegram.error import BadRequest, Forbidden

from bot.core.errors import ChatUnreachable
from bot.core.views import View
from bot.telegram.chat import TelegramChat

#: Bad Request descriptions that mean the chat itself is gone (not a bad message).
GONE_DESCRIPTIONS = ("chat not found", "chat_write_forbidden", "have no rights to send")


def is_gone(exc: Exception) -> bool:
    """True for Telegram's answers that mean the bot cannot post to the chat any more: 403
    (blocked by the user, kicked from the group, not a member of the channel, user deactivated)
    and "chat not found"."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and any(
        word in exc.message.lower() for word in GONE_DESCRIPTIONS
    )


@contextlib.contextmanager
def _unreachable_as_core_error(chat_id: int) -> Iterator[None]:
    try:
        yield
    except (Forbidden, BadRequest) as exc:
        if is_gone(exc):
            raise ChatUnreachable(chat_id, exc.message) from exc
        raise


class FeedChat:
    """Delegates to a ``TelegramChat``; sending to a gone chat raises ``ChatUnreachable``."""

    def __init__(self, chat: TelegramChat) -> None:
        self._chat = chat

    async def typing(self, chat_id: int) -> None:
        await self._chat.typing(chat_id)

    async def acknowledge(self, chat_id: int, message_id: int) -> None:
        await self._chat.acknowledge(chat_id, message_id)

    async def send(self, chat_id: int, view: View, *, reply_to: int | None = None) -> int:
        with _unreachable_as_core_error(chat_id):
            return await self._chat.send(chat_id, view, reply_to=reply_to)

    async def edit(self, chat_id: int, message_id: int, view: View) -> bool:
        return await self._chat.edit(chat_id, message_id, view)

    async def deliver(
        self, chat_id: int, view: View, *, reply_to: int | None, replace: int | None
    ) -> int | None:
        with _unreachable_as_core_error(chat_id):
            return await self._chat.deliver(chat_id, view, reply_to=reply_to, replace=replace)

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self._chat.delete(chat_id, message_id)

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        return await self._chat.download(file_id, max_bytes)
