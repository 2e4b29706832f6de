"""The scaled mode's places in line: queued jobs' progress messages show their place and are
edited as it moves (as the embedded mode's ``WaitingLine`` does), at most once per
``edit_interval`` per message (Telegram's edit limits), never after a worker took the job.

Every ingress runs one; the board's row lock lets only one process edit a message at a time,
and the shown place is recorded with the edit, so two ingresses never edit the same message for
the same move.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.core.errors import StorageError
from bot.core.ports import ChatPort, WaitingBoard
from bot.core.requests import request_from_payload
from bot.core.views import ProgressView

log = logging.getLogger(__name__)


class PositionRefresher:
    """Edits waiting jobs' progress messages into their current place in line."""

    def __init__(
        self,
        board: WaitingBoard,
        chat: ChatPort,
        *,
        edit_interval: float = 3.0,
        edit_timeout: float = 2.0,
        max_edits: int = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.board = board
        self.chat = chat
        self.edit_interval = edit_interval
        #: A bound on one edit, which holds the job's row: a worker waits for it to start.
        self.edit_timeout = edit_timeout
        #: Edits per refresh (nearest places first): a long line must not use up the Bot API
        #: budget the answers need; farther places are shown in later refreshes.
        self.max_edits = max_edits
        self._clock = clock

    async def refresh(self) -> int:
        """Edit every message whose place changed (and was last edited long enough ago);
        returns how many were edited."""
        edited = 0
        moved = await self.board.positions(self._clock() - self.edit_interval)
        nearest = sorted(moved.items(), key=lambda item: item[1])[: self.max_edits]
        for job_id, position in nearest:
            async with self.board.hold(job_id, position) as job:
                if job is None:  # a worker took it (or another ingress edits it right now)
                    continue
                try:
                    ui = request_from_payload(job.payload).ui
                except (KeyError, TypeError, ValueError):
                    ui = "en"
                view = ProgressView("queued", ui, position=position)
                try:
                    async with asyncio.timeout(self.edit_timeout):
                        await self.chat.edit(job.chat_id, job.message_id, view)
                    edited += 1
                except Exception:  # a hint only: the job goes on, the next move is shown
                    log.info("Could not show job %s's place in line", job_id, exc_info=True)
        return edited

    async def run(self, interval: float = 1.0) -> None:
        """Refresh every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except StorageError as exc:
                log.warning("Could not refresh places in line: %s", exc.message)
