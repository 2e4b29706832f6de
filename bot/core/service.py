"""The bot's service layer: admit a request, record it as a durable job, do the work (from the
cache when possible), answer exactly once through a ChatPort, and keep statistics.

No Telegram types here: handlers turn updates into requests, ``TelegramChat`` turns answers
into Bot API calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.config import Config
from bot.core.admission import AdmissionQueue, QueueFull, SlidingWindowLimiter
from bot.core.cache_keys import make_cache_key
from bot.core.ports import ChatPort, ResultMenu
from bot.core.progress import Progress
from bot.core.requests import (
    Destination,
    Origin,
    Request,
    Source,
    SummaryRequest,
    TranslationRequest,
    request_from_payload,
    request_to_payload,
)
from bot.core.settings import MAX_SENTENCES, MIN_SENTENCES, ChatSettings
from bot.storage import Job, Storage, StorageError
from bot.telegram.error_messages import error_html
from bot.telegram.formatting import (
    full_translation_as_document,
    language_name,
    render_document_caption,
    render_full_translation,
    render_summary,
    render_text,
    should_send_as_document,
)
from translation.domain import Algorithm, PipelineResult, SummaryOptions
from translation.errors import BriefbotError, InputError
from translation.inputs import FileInput, InputSource, TextInput, UrlInput
from translation.pipeline import Pipeline, PreparedDocument

log = logging.getLogger(__name__)

T = TypeVar("T")
PIPELINE_VERSION = "1"


class ResultExpired(Exception):
    """A button refers to a document that is no longer in the cache."""


class Refused(Exception):
    """A request was not admitted; ``key`` is the i18n text explaining why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass
class Outcome:
    """What happened to one request, for statistics."""

    kind: str
    outcome: str = "ok"
    cache_hit: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """A summary ready to send: HTML and its buttons."""

    html: str
    menu: ResultMenu
    cache_hit: bool
    timings_ms: dict[str, float]


class BriefService:
    """Everything a request goes through between the chat adapter and the pipeline."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        storage: Storage,
        config: Config,
        executor: Executor,
        progress_delay: float = 2.0,
    ) -> None:
        self.pipeline = pipeline
        self.storage = storage
        self.config = config
        self.executor = executor
        self.progress_delay = progress_delay
        limits = config.limits
        self.user_limiter = SlidingWindowLimiter(limits.per_user_per_minute)
        self.chat_limiter = SlidingWindowLimiter(limits.per_chat_per_minute)
        self.queue = AdmissionQueue(limits.queue_size)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._models_version = ""
        self.refresh_models_version()

    # -- helpers -----------------------------------------------------------------------------

    def refresh_models_version(self) -> None:
        """Cached results depend on the installed models: a new package invalidates them."""
        packages = self.pipeline.engine.packages()
        signature = ";".join(f"{p.code}:{p.version}:{p.path}" for p in packages)
        digest = hashlib.sha256(signature.encode()).hexdigest()[:12]
        self._models_version = f"{PIPELINE_VERSION}/{digest}"

    async def settings(self, chat_id: int) -> ChatSettings:
        return await self.storage.settings.get_chat_settings(chat_id, self.config.defaults)

    async def _cpu(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run work the service owns (resumed jobs), so shutdown can wait for it."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace: float) -> None:
        """Let owned work finish for ``grace`` seconds, then cancel it; a cancelled job stays
        unfinished in the job table and is resumed at the next start."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def queue_status(self) -> tuple[int, int, int]:
        """(waiting, running, capacity) of the admission queue."""
        pending = self.queue.pending
        running = min(pending, self.config.limits.workers)
        return pending - running, running, self.queue.capacity

    async def record(self, chat_id: int, outcome: Outcome) -> None:
        try:
            await self.storage.stats.record_request(
                chat_id, outcome.kind, outcome.outcome, outcome.cache_hit, outcome.timings_ms
            )
        except StorageError as exc:
            log.error("Could not record statistics: %s", exc.message)

    def check_rate(self, chat_id: int, user_id: int | None) -> None:
        """Raise Refused when the user or the chat sends faster than the configured limits."""
        if user_id is not None and self.user_limiter.acquire(user_id) is not None:
            raise Refused("error.rate_limited_user")
        if self.chat_limiter.acquire(chat_id) is not None:
            raise Refused("error.rate_limited_chat")

    # -- intake --------------------------------------------------------------------------------

    async def reject(
        self, dest: Destination, ui: str, origin: Origin, exc: Exception, chat: ChatPort
    ) -> None:
        """A request that failed before any work (empty message, wrong file type, too big)."""
        log.info("Rejected input in chat %s: %r", dest.chat_id, exc)
        await self.record(dest.chat_id, Outcome("summary", outcome=f"rejected:{_kind(exc)}"))
        if origin != "auto":
            await chat.send(
                dest.chat_id, error_html(exc, ui, self.config.limits), reply_to=dest.reply_to
            )

    async def submit(self, request: Request, chat: ChatPort) -> None:
        """Admit (rate limits, bounded queue), record the job, run it, answer exactly once."""
        dest = request.destination
        silent = request.origin == "auto"
        try:
            self.check_rate(dest.chat_id, dest.user_id)
            self.queue.enter()
        except (Refused, QueueFull) as exc:
            key = exc.key if isinstance(exc, Refused) else "error.busy"
            log.info("Refused a request in chat %s: %s", dest.chat_id, key)
            await self.record(dest.chat_id, Outcome(request.kind, outcome=f"refused:{key}"))
            if not silent:
                await chat.send(dest.chat_id, render_text(key, request.ui), reply_to=dest.reply_to)
            return
        try:
            try:
                job_id = await self.storage.jobs.create_job(
                    dest.chat_id,
                    dest.user_id,
                    dest.reply_to,
                    request.kind,
                    request_to_payload(request),
                    reply_to_message_id=dest.reply_to,
                )
            except StorageError as exc:
                log.error("Cannot record a job: %s", exc.message)
                if not silent:
                    await chat.send(
                        dest.chat_id,
                        error_html(exc, request.ui, self.config.limits),
                        reply_to=dest.reply_to,
                    )
                return
            await self.run_job(job_id, request, chat)
        finally:
            self.queue.leave()

    async def run_job(
        self, job_id: int, request: Request, chat: ChatPort, progress_message_id: int | None = None
    ) -> None:
        """Do one recorded job and mark it finished right after its answer went out."""
        dest = request.destination
        jobs = self.storage.jobs
        started = time.perf_counter()
        outcome = Outcome(request.kind)

        async def remember_progress(message_id: int) -> None:
            with contextlib.suppress(StorageError):
                await jobs.set_progress_message(job_id, message_id)

        progress = Progress(
            chat,
            dest.chat_id,
            dest.reply_to,
            delay=self.progress_delay,
            message_id=progress_message_id,
            on_message=remember_progress,
        )
        try:
            if not await jobs.mark_running(job_id):
                return  # already answered (e.g. by a run that finished just before a restart)
            await chat.typing(dest.chat_id)
            progress.start(render_text("progress.working", request.ui))
            async with asyncio.timeout(self.config.limits.job_timeout_seconds):
                if isinstance(request, SummaryRequest):
                    await self._answer_summary(request, chat, progress, outcome)
                else:
                    await self._answer_translation(request, chat, progress, outcome)
        except asyncio.CancelledError:
            await progress.cancel()
            raise  # shutdown: the job stays unfinished and is resumed at the next start
        except Exception as exc:
            outcome.outcome = f"error:{_kind(exc)}"
            await self._answer_failure(job_id, request, chat, progress, exc)
        else:
            try:
                await jobs.mark_done(job_id)
            except StorageError as exc:
                log.error("Answered job %s but could not mark it done: %s", job_id, exc.message)
        finally:
            outcome.timings_ms["total"] = round((time.perf_counter() - started) * 1000.0, 2)
            await self.record(dest.chat_id, outcome)

    async def _answer_failure(
        self, job_id: int, request: Request, chat: ChatPort, progress: Progress, exc: Exception
    ) -> None:
        dest = request.destination
        if isinstance(exc, BriefbotError | TimeoutError):
            log.info("Request in chat %s failed: %r", dest.chat_id, exc)
        else:
            log.error("Request in chat %s failed", dest.chat_id, exc_info=exc)
        try:
            if request.origin == "auto":
                await progress.discard()  # nobody asked: stay silent in the group
            else:
                await progress.finish(error_html(exc, request.ui, self.config.limits))
        except Exception:  # e.g. the user blocked the bot: nobody can be told
            log.exception("Could not report a failure in chat %s", dest.chat_id)
        try:
            await self.storage.jobs.mark_failed(job_id, f"{type(exc).__name__}: {exc}"[:500])
        except StorageError as storage_exc:
            log.error("Could not mark job %s failed: %s", job_id, storage_exc.message)

    # -- summaries -----------------------------------------------------------------------------

    async def _answer_summary(
        self, request: SummaryRequest, chat: ChatPort, progress: Progress, outcome: Outcome
    ) -> None:
        settings = await self.settings(request.destination.chat_id)
        doc_key = request.source.content_key()

        async def prepared() -> PreparedDocument:
            return await self.prepare(request.source, doc_key, chat, progress, request.ui)

        rendered = await self.render(
            doc_key,
            settings,
            request.ui,
            settings.summary_sentences,
            settings.show_source,
            prepared,
            progress,
        )
        outcome.cache_hit = rendered.cache_hit
        outcome.timings_ms.update(rendered.timings_ms)
        await progress.finish(rendered.html, rendered.menu)

    async def prepare(
        self, source: Source, doc_key: str, chat: ChatPort, progress: Progress, ui: str
    ) -> PreparedDocument:
        """The loaded, detected, segmented document: from the cache, or made and cached."""
        cached = await self.storage.cache.get(_doc_cache_key(doc_key))
        if cached is not None:
            return PreparedDocument.from_json(cached)
        await progress.stage(render_text(_LOADING_STAGE[source.kind], ui))
        prepared = await self.pipeline.prepare(await self._input(source, chat))
        await self.storage.cache.put(_doc_cache_key(doc_key), prepared.to_json())
        return prepared

    async def _input(self, source: Source, chat: ChatPort) -> InputSource:
        if source.kind == "url":
            return UrlInput(source.value)
        if source.kind == "file":
            limit = self.config.limits.max_file_bytes
            data = await chat.download(source.value, limit)
            return FileInput(data, source.filename or "file.txt")
        return TextInput(source.value)

    async def cached_document(self, doc_key: str) -> PreparedDocument:
        cached = await self.storage.cache.get(_doc_cache_key(doc_key))
        if cached is None:
            raise ResultExpired(doc_key)
        return PreparedDocument.from_json(cached)

    async def render(
        self,
        doc_key: str,
        settings: ChatSettings,
        ui: str,
        sentences: int,
        show_source: bool,
        prepared: Callable[[], Awaitable[PreparedDocument]],
        progress: Progress | None = None,
    ) -> Rendered:
        """The summary message for a document at a given length (cached by content + options)."""
        targets = tuple(settings.target_languages)
        algorithm = Algorithm(settings.algorithm)
        key = make_cache_key(
            doc_key, targets, sentences, algorithm.value, self._models_version, kind="summary"
        )
        cached = await self.storage.cache.get(key)
        cache_hit = cached is not None
        if cached is not None:
            result = PipelineResult.from_json(cached)
            timings: dict[str, float] = {}
        else:
            document = await prepared()
            if progress is not None:
                await progress.stage(self._translating_text(document.language, targets, ui))
            options = SummaryOptions(sentences=sentences, algorithm=algorithm)
            result = await self._cpu(self.pipeline.summarize_prepared, document, targets, options)
            await self.storage.cache.put(key, result.to_json())
            timings = dict(result.timings_ms)
        html = render_summary(result, targets, ui, show_source)
        # A short text gets fewer sentences than asked: "shorter" starts from what is shown.
        shown = max(MIN_SENTENCES, min(sentences, result.sentence_count))
        menu = ResultMenu(
            doc_key=doc_key,
            source_language=result.source_language,
            targets=tuple(t for t in targets if t in result.summaries),
            sentences=shown,
            show_source=show_source,
            can_shorter=shown > MIN_SENTENCES,
            can_longer=shown < min(MAX_SENTENCES, result.sentence_count),
            ui=ui,
        )
        return Rendered(html, menu, cache_hit, timings)

    @staticmethod
    def _translating_text(source: str, targets: Sequence[str], ui: str) -> str:
        others = [t.upper() for t in targets if t != source]
        if not others:
            return render_text("progress.summarizing", ui)
        return render_text("progress.translating", ui, languages=", ".join(others))

    async def resize(
        self, chat_id: int, doc_key: str, sentences: int, show_source: bool, ui: str
    ) -> Rendered:
        """The same document summarized at another length or with the original shown (buttons)."""
        settings = await self.settings(chat_id)
        sentences = max(MIN_SENTENCES, min(MAX_SENTENCES, sentences))
        document = await self.cached_document(doc_key)

        async def prepared() -> PreparedDocument:
            return document

        return await self.render(doc_key, settings, ui, sentences, show_source, prepared)

    # -- full translations ---------------------------------------------------------------------

    async def _answer_translation(
        self, request: TranslationRequest, chat: ChatPort, progress: Progress, outcome: Outcome
    ) -> None:
        ui = request.ui
        if request.doc_key is not None:
            document = await self.cached_document(request.doc_key)
        elif request.source is not None:
            key = request.source.content_key()
            document = await self.prepare(request.source, key, chat, progress, ui)
        else:
            raise InputError("Nothing to translate.")
        name = language_name(request.target, ui)
        await progress.stage(render_text("progress.translating_full", ui, language=name))
        translation = await self._cpu(self.pipeline.translate_prepared, document, request.target)
        outcome.timings_ms.update(translation.timings_ms)
        parts = await self._cpu(render_full_translation, translation, ui)
        dest = request.destination
        if should_send_as_document(parts):
            filename, data = full_translation_as_document(translation)
            caption = render_document_caption(translation, ui)
            await chat.send_document(
                dest.chat_id, filename, data, caption=caption, reply_to=dest.reply_to
            )
            await progress.discard()
            return
        await progress.finish(parts[0])
        for part in parts[1:]:
            await chat.send(dest.chat_id, part)

    # -- restart -------------------------------------------------------------------------------

    async def resume_unfinished(self, chat: ChatPort) -> int:
        """Resume (or, after too many attempts, apologize for) every unfinished job."""
        jobs = await self.storage.jobs.unfinished_jobs()
        for job in jobs:
            self.spawn(self._resume(job, chat), name=f"briefbot-resume-{job.id}")
        if jobs:
            log.info("Resuming %d unfinished job(s)", len(jobs))
        return len(jobs)

    async def _resume(self, job: Job, chat: ChatPort) -> None:
        try:
            request = request_from_payload(job.payload)
        except (KeyError, TypeError, ValueError):
            log.error("Job %s has an unreadable payload; apologizing", job.id)
            request = None
        if request is None or job.exhausted:
            await self._apologize(job, chat, request.ui if request else "en")
            return
        self.queue.enter(force=True)
        try:
            await self.run_job(job.id, request, chat, job.progress_message_id)
        finally:
            self.queue.leave()

    async def _apologize(self, job: Job, chat: ChatPort, ui: str) -> None:
        html = render_text("error.restart_apology", ui)
        try:
            if job.progress_message_id is None or not await chat.edit(
                job.chat_id, job.progress_message_id, html
            ):
                await chat.send(job.chat_id, html, reply_to=job.reply_to_message_id)
        except Exception:  # an unreachable chat must not keep the job alive forever
            log.exception("Could not apologize for job %s", job.id)
        try:
            await self.storage.jobs.mark_apologized(job.id)
        except StorageError as exc:
            log.error("Could not mark job %s apologized: %s", job.id, exc.message)


_LOADING_STAGE = {
    "url": "progress.fetching",
    "file": "progress.reading_file",
    "text": "progress.detecting",
}


def _doc_cache_key(doc_key: str) -> str:
    return f"doc:{PIPELINE_VERSION}:{doc_key}"


def _kind(exc: BaseException) -> str:
    return str(getattr(exc, "kind", type(exc).__name__))
