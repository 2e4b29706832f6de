"""A live answer: the summary shown while it is being translated, one language at a time.

The pipeline reports each summary from its worker thread as soon as it exists (the source
language's within ~50 ms, each translation about a second apart); this hands them to the event
loop and shows them in the request's progress message, at most once per ``interval`` seconds
(Telegram allows about one edit per second in a chat). The final answer then replaces it, so
the user ends with the same message as without a live answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from bot.core.progress import Progress
from bot.core.views import LiveSummaryView
from translation import PipelineResult, PreparedDocument

Listener = Callable[[str, list[str]], None]
_DONE = None


class LiveAnswer:
    """Used as ``async with LiveAnswer(...) as live:`` around the CPU work, which calls
    ``live.listener`` from its thread."""

    def __init__(
        self,
        progress: Progress,
        prepared: PreparedDocument,
        targets: Sequence[str],
        ui: str,
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._progress = progress
        self._prepared = prepared
        self._targets = tuple(t for t in dict.fromkeys(targets) if t != prepared.language)
        self._ui = ui
        self._interval = interval
        self._clock = clock
        self._queue: asyncio.Queue[tuple[str, list[str]] | None] = asyncio.Queue()
        self._closing = asyncio.Event()
        self._summaries: dict[str, list[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self.listener: Listener = self._ignore

    @staticmethod
    def _ignore(language: str, sentences: list[str]) -> None:
        """Before ``async with``: nothing to show yet."""

    async def __aenter__(self) -> LiveAnswer:
        loop = asyncio.get_running_loop()

        def listener(language: str, sentences: list[str]) -> None:
            loop.call_soon_threadsafe(self._queue.put_nowait, (language, list(sentences)))

        self.listener = listener
        self._task = asyncio.create_task(self._show_all(), name="briefbot-live-answer")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop showing: the final answer (or a failure) takes over the message. A show in
        flight is awaited, never cancelled: a message already posted must not lose its id
        (it would dangle next to the answer)."""
        self._closing.set()
        self._queue.put_nowait(_DONE)
        if self._task is not None:
            await asyncio.shield(self._task)

    def _take(self, item: tuple[str, list[str]] | None) -> bool:
        """Record one summary; False at the end."""
        if item is None:
            return False
        self._summaries[item[0]] = item[1]
        return True

    async def _show_all(self) -> None:
        last: float | None = None
        while self._take(await self._queue.get()):
            if last is not None:
                wait = self._interval - (self._clock() - last)
                if wait > 0:  # throttled: wait, then show the newest state (or stop)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), wait)
                    while not self._queue.empty():
                        if not self._take(self._queue.get_nowait()):
                            return
                    if self._closing.is_set():
                        return
            pending = tuple(t for t in self._targets if t not in self._summaries)
            if not pending:
                return  # everything is done: the final answer follows at once
            last = self._clock()
            await self._progress.show(self._view(pending))

    def _view(self, pending: tuple[str, ...]) -> LiveSummaryView:
        prepared = self._prepared
        shown = (prepared.language, *(t for t in self._targets if t in self._summaries))
        result = PipelineResult(
            source_language=prepared.language,
            confidence=prepared.detection.confidence,
            detection=prepared.detection,
            title=prepared.document.title,
            url=prepared.document.url,
            sentence_count=len(prepared.sentences),
            summaries=dict(self._summaries),
        )
        return LiveSummaryView(result, shown, pending, self._ui)
