"""Who may do what: chat admins change group settings, owners run owner commands.

Admin status is asked from Telegram (getChatMember) at the moment of every change, never taken
from when a menu was drawn: someone demoted in between is refused.
"""

from __future__ import annotations

import logging

from telegram import Bot, Chat, ChatMember, User
from telegram.error import TelegramError

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


async def may_change_settings(
    bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None = None
) -> bool:
    """True in private chats, for an anonymous admin posting as the group itself, and for
    members Telegram reports as creator or administrator right now."""
    if chat.type == Chat.PRIVATE:
        return user is not None and user.id == chat.id
    if sender_chat is not None:
        return sender_chat.id == chat.id  # only admins can post as the group
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember failed in chat %s: %s", chat.id, exc)
        return False
    return member.status in ADMIN_STATUSES


def is_owner(user: User | None, owners: frozenset[int]) -> bool:
    return user is not None and user.id in owners
