"""The ChatPort on the Bot API: HTML messages, the result buttons, files, chat migration."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.core.ports import ResultMenu
from bot.telegram.callback_data import CallbackCodec
from bot.telegram.keyboards import result_keyboard
from translation.errors import InputError, LimitExceededError

log = logging.getLogger(__name__)

MigrationHook = Callable[[int, int], Awaitable[None]]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramChat:
    """Sends through ``bot``; builds buttons with ``keyboard`` (bound to each chat)."""

    def __init__(self, bot: Bot, codec: CallbackCodec, on_migrate: MigrationHook) -> None:
        self._bot = bot
        self._codec = codec
        self._on_migrate = on_migrate

    def _markup(self, chat_id: int, menu: ResultMenu | None) -> InlineKeyboardMarkup | None:
        return result_keyboard(menu, chat_id, self._codec) if menu else None

    async def _migrated(self, exc: ChatMigrated, chat_id: int) -> int:
        log.info("Chat %s migrated to %s", chat_id, exc.new_chat_id)
        await self._on_migrate(chat_id, exc.new_chat_id)
        return exc.new_chat_id

    async def typing(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def send(
        self,
        chat_id: int,
        html: str,
        *,
        reply_to: int | None = None,
        menu: ResultMenu | None = None,
    ) -> int:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            message = await self._bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=self._markup(chat_id, menu),
                link_preview_options=NO_PREVIEW,
            )
        except ChatMigrated as exc:
            new_id = await self._migrated(exc, chat_id)
            # The old message ids mean nothing in the new supergroup: no reply-to.
            return await self.send(new_id, html, menu=menu)
        return message.message_id

    async def edit(
        self, chat_id: int, message_id: int, html: str, *, menu: ResultMenu | None = None
    ) -> bool:
        try:
            await self._bot.edit_message_text(
                html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self._markup(chat_id, menu),
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("Cannot edit message %s in %s: %s", message_id, chat_id, exc.message)
            return False
        except (ChatMigrated, Forbidden) as exc:
            log.info("Cannot edit message %s in %s: %s", message_id, chat_id, exc)
            return False
        return True

    async def delete(self, chat_id: int, message_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self._bot.delete_message(chat_id, message_id)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, *, caption: str, reply_to: int | None
    ) -> int:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            message = await self._bot.send_document(
                chat_id,
                InputFile(data, filename=filename),
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
            )
        except ChatMigrated as exc:
            new_id = await self._migrated(exc, chat_id)
            return await self.send_document(new_id, filename, data, caption=caption, reply_to=None)
        return message.message_id

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        try:
            file = await self._bot.get_file(file_id)
        except BadRequest as exc:
            # Telegram refuses getFile past 20 MB ("file is too big").
            if "too big" in exc.message.lower():
                raise LimitExceededError(
                    f"That file is too large; the limit is {max_bytes:,} bytes.",
                    limit="max_file_bytes",
                ) from None
            raise InputError("I could not download that file; please send it again.") from None
        if file.file_size is not None and file.file_size > max_bytes:
            raise LimitExceededError(
                f"That file is {file.file_size:,} bytes; the limit is {max_bytes:,} bytes.",
                limit="max_file_bytes",
            )
        data = bytes(await file.download_as_bytearray())
        if len(data) > max_bytes:
            raise LimitExceededError(
                f"That file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.",
                limit="max_file_bytes",
            )
        return data
