"""The service layer: admit a request, record it as a durable job, do the work (from the cache
when possible), answer exactly once through a ChatPort, and keep statistics.

Platform-neutral: it returns and emits data (``bot.core.views``); front ends render it. The
CLI uses the same ``summarize``/``translate`` API without a chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bot.config import Config
from bot.core.admission import AdmissionQueue, QueueFull, SlidingWindowLimiter, WaitingLine
from bot.core.cache_keys import make_cache_key
from bot.core.errors import StorageError
from bot.core.live import LiveAnswer
from bot.core.once import OnceLedger, OnceState
from bot.core.ports import ChatPort, FilePort, StoragePort
from bot.core.progress import Progress
from bot.core.records import Answer, Job, StatsSummary
from bot.core.requests import (
    REQUEST_KINDS,
    Destination,
    Origin,
    Request,
    Source,
    SummaryRequest,
    TranslationRequest,
    request_from_payload,
    request_to_payload,
)
from bot.core.settings import MIN_SENTENCES, ChatSettings, clamp_sentences
from bot.core.views import (
    Failure,
    ProgressView,
    Refusal,
    RefusalReason,
    RestartApology,
    ResultMenu,
    Stage,
    SummaryView,
    TranslationView,
)
from translation import (
    Algorithm,
    BriefbotError,
    FileInput,
    FullTranslation,
    InputError,
    InputSource,
    InstalledPackage,
    ModelMissingError,
    Pipeline,
    PipelineResult,
    Prefetcher,
    PreparedDocument,
    SummaryOptions,
    TextInput,
    UrlInput,
    install_package,
)

if TYPE_CHECKING:
    from bot.core.queued import QueuedIntake

log = logging.getLogger(__name__)

T = TypeVar("T")
PIPELINE_VERSION = "2"  # 2: summaries carry translated titles
#: The articles Briefbot is made for are mostly German: first-run hints name the models that
#: German articles need.
MAIN_SOURCE_LANGUAGE = "de"
#: A live answer is edited at most this often (Telegram allows about one edit per second).
LIVE_INTERVAL_SECONDS = 1.0
#: An edit of a message still being answered looks for that answer this often, for at most
#: the job time limit plus this margin.
EDIT_POLL_SECONDS = 0.5
EDIT_WAIT_MARGIN = 10.0


class ResultExpired(Exception):
    """A button refers to a document that is no longer in the cache."""


class Refused(Exception):
    """A request was not admitted; ``reason`` says why."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason)
        self.reason: RefusalReason = reason


@dataclass
class Outcome:
    """What happened to one request, for statistics."""

    kind: str
    outcome: str = "ok"
    cache_hit: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueStatus:
    waiting: int
    running: int
    capacity: int


@dataclass(frozen=True)
class ModelInstall:
    """One item of a model installation: what it installed, or why it failed."""

    item: str
    packages: tuple[InstalledPackage, ...] = ()
    error: str | None = None


StageCallback = Callable[[ProgressView], Awaitable[None]]


class BriefService:
    """Everything a request goes through between a front end and the pipeline."""

    def __init__(
        self,
        *,
        pipeline: Pipeline,
        storage: StoragePort,
        config: Config,
        executor: Executor,
        progress_delay: float = 2.0,
        live_interval: float | None = LIVE_INTERVAL_SECONDS,
    ) -> None:
        self.pipeline = pipeline
        self.storage = storage
        self.config = config
        self.executor = executor
        self.progress_delay = progress_delay
        #: Seconds between edits that only move a place in line (Telegram limits edits).
        self.progress_edit_interval = 3.0
        #: Seconds between the edits of a live answer in private chats; None: no live answer.
        self.live_interval = live_interval
        limits = config.limits
        self.user_limiter = SlidingWindowLimiter(limits.per_user_per_minute)
        self.chat_limiter = SlidingWindowLimiter(limits.per_chat_per_minute)
        self.queue = AdmissionQueue(limits.queue_size)
        self.line = WaitingLine(limits.workers)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._full_translations = OnceLedger()
        #: Edits of messages whose first answer is still being made, by (chat, message): the
        #: latest edit, applied once that answer is there (``revise``).
        self._edits_waiting: dict[tuple[int, int], SummaryRequest] = {}
        #: The scaled mode's intake (jobs go to workers); None: jobs run in this process.
        self.intake: QueuedIntake | None = None
        #: How jobs of kinds other than requests resume (a restart, a worker), by job kind.
        self.resumers: dict[str, Callable[[Job, ChatPort], Awaitable[None]]] = {}
        #: The scaled mode's workers: forgets a started job's place in line, True when its
        #: progress message showed one (then "working" replaces it at once).
        self.place_taken: Callable[[int], Awaitable[bool]] | None = None
        self._models_version = ""
        self.refresh_models_version()
        #: Translates the sentences "Longer" would add, in the background (issue 17).
        self.prefetcher = Prefetcher(pipeline)

    # -- helpers -----------------------------------------------------------------------------

    def refresh_models_version(self) -> None:
        """Cached results depend on the installed models: a new package invalidates them."""
        packages = self.pipeline.engine.packages()
        signature = ";".join(f"{p.code}:{p.version}:{p.path}" for p in packages)
        digest = hashlib.sha256(signature.encode()).hexdigest()[:12]
        self._models_version = f"{PIPELINE_VERSION}/{digest}"

    @property
    def models_version(self) -> str:
        """What the results cache is keyed by besides the request (pipeline and models)."""
        return self._models_version

    def use_models_version(self, version: str) -> None:
        """Key the cache by another process's models (the scaled mode's ingress loads none:
        it answers cache hits with the version its workers publish)."""
        self._models_version = version

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

    async def idle(self) -> None:
        """Wait for the work the service owns (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    def queue_status(self) -> QueueStatus:
        pending = self.queue.pending
        running = min(pending, self.config.limits.workers)
        return QueueStatus(pending - running, running, self.queue.capacity)

    async def record(self, chat_id: int, outcome: Outcome) -> None:
        try:
            await self.storage.stats.record_request(
                chat_id, outcome.kind, outcome.outcome, outcome.cache_hit, outcome.timings_ms
            )
        except StorageError as exc:
            log.error("Could not record statistics: %s", exc.message)

    async def stats(self, since: float | None = None) -> StatsSummary:
        return await self.storage.stats.summary(since=since)

    # -- settings ------------------------------------------------------------------------------

    async def settings(self, chat_id: int) -> ChatSettings:
        return await self.storage.settings.get_chat_settings(chat_id, self.config.defaults)

    async def change_settings(self, chat_id: int, **changes: Any) -> ChatSettings:
        """Apply validated changes atomically (a value may be a function of the current one)."""
        settings = await self.storage.settings.update_chat_settings(
            chat_id, self.config.defaults, **changes
        )
        log.info("Settings of chat %s changed: %s", chat_id, sorted(changes))
        return settings

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its settings, jobs and statistics move to the new id."""
        await self.storage.migrate_chat(old_chat_id, new_chat_id)

    def missing_packages(self, targets: Sequence[str]) -> list[str]:
        """Package codes ("de-en") still to install before German articles reach every target
        (directly or through English); empty when translation is set up."""
        needed: list[str] = []
        for target in targets:
            try:
                self.pipeline.engine.route(MAIN_SOURCE_LANGUAGE, target)
            except ModelMissingError as exc:
                needed += [code for code in exc.needed if code not in needed]
        return needed

    def available_targets(self) -> set[str]:
        """Every language some installed package (directly or via English) translates into."""
        engine = self.pipeline.engine
        return set().union(*(engine.reachable_targets(s) for s in engine.languages()))

    # -- models --------------------------------------------------------------------------------

    async def install_models(
        self, items: Sequence[str], *, skip_installed: bool = False
    ) -> list[ModelInstall]:
        """Install packages (codes or paths) and start using them; each item's failure is
        reported, not raised, so one bad item does not stop the others."""
        where = self.config.models.packages_dir
        results: list[ModelInstall] = []
        for item in items:
            try:
                packages = await self._cpu(
                    lambda i=item: install_package(
                        i, packages_dir=where, skip_installed=skip_installed
                    )
                )
            except (BriefbotError, OSError) as exc:
                message = exc.message if isinstance(exc, BriefbotError) else str(exc)
                if isinstance(exc, OSError) and exc.strerror:
                    message = f"{item}: {exc.strerror}"
                results.append(ModelInstall(item, error=message))
                continue
            results.append(ModelInstall(item, tuple(packages)))
        if any(r.packages for r in results):
            self.pipeline.engine.refresh()
            self.refresh_models_version()
        return results

    # -- admission -----------------------------------------------------------------------------

    def check_rate(self, chat_id: int, user_id: int | None) -> None:
        """Raise Refused when the user or the chat sends faster than the configured limits."""
        if user_id is not None and self.user_limiter.acquire(user_id) is not None:
            raise Refused("rate_limited_user")
        if self.chat_limiter.acquire(chat_id) is not None:
            raise Refused("rate_limited_chat")

    @contextlib.asynccontextmanager
    async def admitted(
        self, chat_id: int, user_id: int | None, *, force: bool = False, rated: bool = False
    ) -> AsyncIterator[None]:
        """A place in the bounded queue after the rate limits (``force``: resumed jobs, which
        were admitted before the restart; ``rated``: the limits were checked already, before
        a look in the results cache); Refused otherwise."""
        if not force and not rated:
            self.check_rate(chat_id, user_id)
        try:
            self.queue.enter(force=force)
        except QueueFull:
            raise Refused("busy") from None
        try:
            yield
        finally:
            self.queue.leave()

    # -- chat requests -------------------------------------------------------------------------

    async def reject(
        self, dest: Destination, ui: str, origin: Origin, exc: Exception, chat: ChatPort
    ) -> None:
        """A request that failed before any work (empty message, wrong file type, too big)."""
        log.info("Rejected input in chat %s: %r", dest.chat_id, exc)
        await self.record(dest.chat_id, Outcome("summary", outcome=f"rejected:{_kind(exc)}"))
        if origin != "auto":
            await chat.send(dest.chat_id, Failure(exc, ui), reply_to=dest.reply_to)

    async def submit(self, request: Request, chat: ChatPort, *, replace: int | None = None) -> None:
        """Admit (rate limits, bounded queue), record the job, run it, answer exactly once
        (in place of message ``replace``, an earlier answer, when given)."""
        if self.intake is not None:  # the scaled mode: workers do the job
            await self.intake.submit(request, chat, replace=replace)
            return
        dest = request.destination
        try:  # the scaled mode's order: rate limits, a cache hit at once, then "busy"
            self.check_rate(dest.chat_id, dest.user_id)
            if await self._cache_hit_first(request, chat, replace):
                return
            await self._run_admitted(request, chat, replace=replace, rated=True)
        except Refused as exc:
            await self.refuse(request, exc.reason, chat)

    async def _cache_hit_first(self, request: Request, chat: ChatPort, replace: int | None) -> bool:
        """A cache hit needs no worker: answered before the waiting line, with no job. A
        storage error in the lookup makes it a miss (the job reports it, answering once)."""
        try:
            return await self.answer_from_cache(request, chat, replace)
        except StorageError as exc:
            log.warning("Could not look in the results cache: %s", exc.message)
            return False

    async def answer_from_cache(
        self,
        request: Request,
        chat: ChatPort,
        replace: int | None = None,
        claim: Callable[[], Awaitable[bool]] | None = None,
    ) -> bool:
        """Answer a summary that is in the results cache here and now, with no job (in place
        of message ``replace`` when given); False on a miss. ``claim`` (the scaled mode's
        delivery key) False: another process answers this update, nothing is sent."""
        if not isinstance(request, SummaryRequest):
            return False
        started = time.perf_counter()
        dest = request.destination
        settings_chat = dest.chat_id if request.settings_chat is None else request.settings_chat
        view = await self.cached_summary(settings_chat, request.source, request.ui)
        if view is None:
            return False
        if claim is not None and not await claim():
            log.info(
                "Chat %s: the update was delivered twice at once; the other answers", dest.chat_id
            )
            return True
        answer = await chat.deliver(dest.chat_id, view, reply_to=dest.reply_to, replace=replace)
        await self._remember_answer(request, answer)
        total = round((time.perf_counter() - started) * 1000.0, 2)
        await self.record(
            dest.chat_id, Outcome(request.kind, cache_hit=True, timings_ms={"total": total})
        )
        log.info("Answered chat %s from the cache, with no job", dest.chat_id)
        return True

    async def refuse(self, request: Request, reason: RefusalReason, chat: ChatPort) -> None:
        """Count a request that was not admitted and say why (unless nobody asked)."""
        await self._record_refusal(request, reason)
        if request.origin != "auto":
            dest = request.destination
            await chat.send(dest.chat_id, Refusal(reason, request.ui), reply_to=dest.reply_to)

    async def submit_once(
        self,
        request: TranslationRequest,
        chat: ChatPort,
        accepted: Callable[[], Awaitable[None]],
    ) -> OnceState | None:
        """A full translation asked by a button under message ``destination.reply_to``: one per
        message and language at a time. Returns the state of the one already running or posted
        (nothing is sent), raises Refused when rate-limited or busy (nothing is sent: the
        button answers with a pop-up), else calls ``accepted`` and does the work like submit."""
        if self.intake is not None:  # the scaled mode: a worker does it, claimed in storage
            return await self.intake.submit_once(request, chat, accepted)
        dest = request.destination
        key = (dest.chat_id, dest.reply_to, request.target)
        earlier = self._full_translations.claim(key)
        if earlier is not None:
            return earlier
        posted = False
        try:
            posted = await self._run_admitted(request, chat, accepted)
        except Refused as exc:
            await self._record_refusal(request, exc.reason)
            raise
        finally:
            self._full_translations.settle(key, posted=posted)
        return None

    async def _record_refusal(self, request: Request, reason: RefusalReason) -> None:
        log.info("Refused a request in chat %s: %s", request.destination.chat_id, reason)
        outcome = Outcome(request.kind, outcome=f"refused:error.{reason}")
        await self.record(request.destination.chat_id, outcome)

    async def _run_admitted(
        self,
        request: Request,
        chat: ChatPort,
        accepted: Callable[[], Awaitable[None]] | None = None,
        replace: int | None = None,
        rated: bool = False,
    ) -> bool:
        """Run ``request`` once admitted (Refused otherwise), in place of message ``replace``
        when given; True if it was answered."""
        dest = request.destination
        async with self.admitted(dest.chat_id, dest.user_id, rated=rated):
            if accepted is not None:
                await accepted()
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
                if request.origin != "auto":
                    await chat.send(dest.chat_id, Failure(exc, request.ui), reply_to=dest.reply_to)
                return False
            if replace is not None:  # a restart edits the same answer
                with contextlib.suppress(StorageError):
                    await self.storage.jobs.set_progress_message(job_id, replace)
            return await self.run_job(job_id, request, chat, replace)

    async def run_job(
        self, job_id: int, request: Request, chat: ChatPort, progress_message_id: int | None = None
    ) -> bool:
        """Do one recorded job and mark it finished right after its answer went out; True if
        it was answered (not failed, not already answered before)."""
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
            edit_interval=self.progress_edit_interval,
            message_id=progress_message_id,
            on_message=remember_progress,
        )
        try:
            if not await jobs.mark_running(job_id):
                return False  # already answered (e.g. by a run that finished just before a restart)
            if request.origin == "private" or dest.reply_to is None:
                await chat.typing(dest.chat_id)
            else:
                await chat.acknowledge(dest.chat_id, dest.reply_to)
            working = ProgressView("working", request.ui)
            if progress_message_id is not None and await self._showed_place(job_id):
                await progress.start_now(working)
            else:
                progress.start(working)

            async def queued(position: int) -> None:
                await progress.stage(ProgressView("queued", request.ui, position=position))

            async with self.line.turn(queued) as waited:
                if waited:
                    await progress.stage(ProgressView("working", request.ui))
                async with asyncio.timeout(self.config.limits.job_timeout_seconds):
                    if isinstance(request, SummaryRequest):
                        view = await self._summary_answer(request, chat, progress, outcome)
                        await self._remember_answer(request, await progress.finish(view))
                    else:
                        await self._translation_answer(request, chat, progress, outcome)
        except asyncio.CancelledError:
            await progress.cancel()
            raise  # shutdown: the job stays unfinished and is resumed at the next start
        except Exception as exc:
            outcome.outcome = f"error:{_kind(exc)}"
            await self._answer_failure(job_id, request, progress, exc)
            return False
        else:
            try:
                await jobs.mark_done(job_id)
            except StorageError as exc:
                log.error("Answered job %s but could not mark it done: %s", job_id, exc.message)
            return True
        finally:
            outcome.timings_ms["total"] = round((time.perf_counter() - started) * 1000.0, 2)
            await self.record(dest.chat_id, outcome)

    async def _showed_place(self, job_id: int) -> bool:
        if self.place_taken is None:
            return False
        try:
            return await self.place_taken(job_id)
        except StorageError:  # a hint only: "working" comes after the usual delay then
            return False

    async def _answer_failure(
        self, job_id: int, request: Request, progress: Progress, exc: Exception
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
                await self._remember_answer(
                    request, await progress.finish(Failure(exc, request.ui))
                )
        except Exception:  # e.g. the user blocked the bot: nobody can be told
            log.exception("Could not report a failure in chat %s", dest.chat_id)
        try:
            await self.storage.jobs.mark_failed(job_id, f"{type(exc).__name__}: {exc}"[:500])
        except StorageError as storage_exc:
            log.error("Could not mark job %s failed: %s", job_id, storage_exc.message)

    async def _remember_answer(self, request: Request, answer_id: int | None) -> None:
        """Keep which message answers which request, so an edit of it can update the answer
        (a failure too: the user may edit the message to fix a broken link)."""
        dest = request.destination
        if not isinstance(request, SummaryRequest) or answer_id is None or dest.reply_to is None:
            return
        try:
            await self.storage.answers.remember(
                dest.chat_id, dest.reply_to, answer_id, request.source.content_key()
            )
        except StorageError as exc:
            log.warning("Could not remember the answer in chat %s: %s", dest.chat_id, exc.message)

    async def revise(self, request: SummaryRequest, chat: ChatPort) -> bool:
        """An edited message: when the bot answered it recently and the edit changed what it
        asks for, the answer is redone in place (admitted like any request). An edit of a
        message the bot never answered, or one that changes nothing relevant (a typo next to
        the link), costs two lookups. An edit made while an answer to the message is still
        being made (a link fixed seconds after sending it) waits for that answer, then
        replaces it; of several such edits the last one counts. True when a new answer was
        started or will be."""
        dest = request.destination
        if dest.reply_to is None:
            return False
        key = (dest.chat_id, dest.reply_to)
        if key in self._edits_waiting:
            self._edits_waiting[key] = request
            return True
        try:
            if await self.storage.jobs.answering(*key):
                if key not in self._edits_waiting:  # another edit may have come meanwhile
                    self.spawn(self._revise_when_answered(key, chat), name=f"edit-{key}")
                self._edits_waiting[key] = request
                return True
            answer = await self.storage.answers.find(*key)
        except StorageError as exc:
            log.warning("Could not look up an answer in chat %s: %s", dest.chat_id, exc.message)
            return False
        return answer is not None and await self._replace_answer(answer, request, chat)

    async def _revise_when_answered(self, key: tuple[int, int], chat: ChatPort) -> None:
        """Wait (bounded by the job time limit) until no answer to message ``key`` is being
        made, then apply the latest edit to the answer; nothing when the job ended without
        one (a silent auto-mode failure)."""
        deadline = time.monotonic() + self.config.limits.job_timeout_seconds + EDIT_WAIT_MARGIN
        answer = None
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(EDIT_POLL_SECONDS)
                if not await self.storage.jobs.answering(*key):
                    answer = await self.storage.answers.find(*key)  # remembered before done
                    break
        except StorageError as exc:
            log.warning("Could not follow the answer in chat %s: %s", key[0], exc.message)
        finally:
            request = self._edits_waiting.pop(key)
        if answer is not None:
            await self._replace_answer(answer, request, chat)

    async def _replace_answer(
        self, answer: Answer, request: SummaryRequest, chat: ChatPort
    ) -> bool:
        """Redo ``answer`` for the edited ``request`` unless what it asks for is the same."""
        if answer.content_key == request.source.content_key():
            return False
        dest = request.destination
        log.info(
            "Message %s in chat %s was edited: updating the answer", dest.reply_to, dest.chat_id
        )
        await self.submit(request, chat, replace=answer.answer_message_id)
        return True

    async def _summary_answer(
        self, request: SummaryRequest, chat: ChatPort, progress: Progress, outcome: Outcome
    ) -> SummaryView:
        settings_chat = request.settings_chat
        if settings_chat is None:
            settings_chat = request.destination.chat_id
        settings = await self.settings(settings_chat)
        doc_key = request.source.content_key()

        async def document() -> PreparedDocument:
            return await self.prepare(request.source, chat, progress.stage, request.ui)

        view = await self.summary_view(
            doc_key,
            document,
            settings.target_languages,
            SummaryOptions(settings.summary_sentences, algorithm=Algorithm(settings.algorithm)),
            show_source=settings.show_source,
            ui=request.ui,
            on_stage=progress.stage,
            live=progress if request.origin == "private" else None,
        )
        outcome.cache_hit = view.cache_hit
        outcome.timings_ms.update(view.timings_ms)
        return view

    async def _translation_answer(
        self, request: TranslationRequest, chat: ChatPort, progress: Progress, outcome: Outcome
    ) -> None:
        if request.doc_key is not None:
            document = await self.cached_document(request.doc_key)
        elif request.source is not None:
            document = await self.prepare(request.source, chat, progress.stage, request.ui)
        else:
            raise InputError("Nothing to translate.")
        await progress.stage(ProgressView("translating_full", request.ui, (request.target,)))
        translation = await self.translate_document(document, request.target)
        outcome.timings_ms.update(translation.timings_ms)
        await progress.finish(TranslationView(translation, request.ui))

    # -- the work, for every front end ---------------------------------------------------------

    async def prepare(
        self,
        source: Source,
        files: FilePort,
        on_stage: StageCallback | None = None,
        ui: str = "en",
    ) -> PreparedDocument:
        """The loaded, detected, segmented document: from the cache, or made and cached."""
        key = _doc_cache_key(source.content_key())
        cached = await self.storage.cache.get(key)
        if cached is not None:
            return PreparedDocument.from_json(cached)
        if on_stage is not None:
            await on_stage(ProgressView(_LOADING_STAGE[source.kind], ui))
        prepared = await self.pipeline.prepare(await self._input(source, files))
        await self.storage.cache.put(key, prepared.to_json())
        return prepared

    async def _input(self, source: Source, files: FilePort) -> InputSource:
        if source.kind == "url":
            return UrlInput(source.value)
        if source.kind == "file":
            data = await files.download(source.value, self.config.limits.max_file_bytes)
            return FileInput(data, source.filename or "file.txt")
        return TextInput(source.value)

    async def cached_document(self, doc_key: str) -> PreparedDocument:
        cached = await self.storage.cache.get(_doc_cache_key(doc_key))
        if cached is None:
            raise ResultExpired(doc_key)
        return PreparedDocument.from_json(cached)

    def _summary_key(self, doc_key: str, targets: Sequence[str], options: SummaryOptions) -> str:
        return make_cache_key(
            doc_key,
            tuple(targets),
            options.sentences or 0,
            options.algorithm.value,
            self._models_version,
            kind="summary",
            ratio=options.ratio,
        )

    async def cached_summary(self, chat_id: int, source: Source, ui: str) -> SummaryView | None:
        """The summary ``chat_id``'s settings would get for ``source`` if it is in the results
        cache, without doing any work (None otherwise): for answers that must come at once."""
        settings = await self.settings(chat_id)
        options = SummaryOptions(
            settings.summary_sentences, algorithm=Algorithm(settings.algorithm)
        )
        return await self.cached_view(
            source.content_key(), settings.target_languages, options, settings.show_source, ui
        )

    async def cached_view(
        self,
        doc_key: str,
        targets: Sequence[str],
        options: SummaryOptions,
        show_source: bool,
        ui: str,
    ) -> SummaryView | None:
        """The summary of ``doc_key`` with these options if it is in the results cache,
        without doing any work; None otherwise."""
        if await self.storage.cache.get(self._summary_key(doc_key, targets, options)) is None:
            return None

        async def no_work() -> PreparedDocument:  # a hit needs no document
            raise ResultExpired(doc_key)

        try:
            return await self.summary_view(
                doc_key, no_work, targets, options, show_source=show_source, ui=ui
            )
        except ResultExpired:  # evicted between the two reads
            return None

    async def summarize(
        self,
        doc_key: str,
        document: Callable[[], Awaitable[PreparedDocument]],
        targets: Sequence[str],
        options: SummaryOptions,
        on_stage: StageCallback | None = None,
        ui: str = "en",
        live: Progress | None = None,
    ) -> tuple[PipelineResult, bool]:
        """(result, cache hit): the summary of a document in ``targets``, cached by content and
        every option that changes it (targets, length, algorithm, installed models)."""
        targets = tuple(targets)
        key = self._summary_key(doc_key, targets, options)
        cached = await self.storage.cache.get(key)
        if cached is not None:
            return PipelineResult.from_json(cached), True
        prepared = await document()
        if on_stage is not None:
            others = tuple(t for t in targets if t != prepared.language)
            stage: Stage = "translating" if others else "summarizing"
            await on_stage(ProgressView(stage, ui, others))
        result = await self._work_summary(prepared, targets, options, ui, live)
        await self.storage.cache.put(key, result.to_json())
        return result, False

    async def _work_summary(
        self,
        prepared: PreparedDocument,
        targets: tuple[str, ...],
        options: SummaryOptions,
        ui: str,
        live: Progress | None,
    ) -> PipelineResult:
        """The pipeline's summary; with ``live``, shown in that progress message as each
        language is ready (when there is anything to translate)."""
        reachable = self._reachable(prepared.language, targets)
        if live is None or self.live_interval is None or not reachable:
            result = await self._cpu(self.pipeline.summarize_prepared, prepared, targets, options)
        else:
            answer = LiveAnswer(live, prepared, reachable, ui, interval=self.live_interval)
            async with answer:
                result = await self._cpu(
                    self.pipeline.summarize_prepared, prepared, targets, options, answer.listener
                )
        self.prefetcher.submit(prepared, reachable, options)
        return result

    def _reachable(self, source: str, targets: Sequence[str]) -> tuple[str, ...]:
        """The targets other than ``source`` that installed models translate into."""
        reachable = []
        for target in dict.fromkeys(targets):
            if target == source:
                continue
            with contextlib.suppress(ModelMissingError):
                self.pipeline.engine.route(source, target)
                reachable.append(target)
        return tuple(reachable)

    async def summary_view(
        self,
        doc_key: str,
        document: Callable[[], Awaitable[PreparedDocument]],
        targets: Sequence[str],
        options: SummaryOptions,
        *,
        show_source: bool,
        ui: str,
        on_stage: StageCallback | None = None,
        live: Progress | None = None,
    ) -> SummaryView:
        """A summary with the actions that may follow it (shorter, longer, full translation)."""
        result, cache_hit = await self.summarize(
            doc_key, document, targets, options, on_stage, ui, live
        )
        sentences = options.sentences or result.sentence_count
        # A short text gets fewer sentences than asked: "shorter" starts from what is shown.
        shown = clamp_sentences(min(sentences, result.sentence_count))
        menu = ResultMenu(
            doc_key=doc_key,
            source_language=result.source_language,
            targets=tuple(t for t in targets if t in result.summaries),
            sentences=shown,
            show_source=show_source,
            can_shorter=shown > MIN_SENTENCES,
            can_longer=shown < clamp_sentences(result.sentence_count),
            ui=ui,
        )
        timings = {} if cache_hit else dict(result.timings_ms)
        return SummaryView(result, tuple(targets), show_source, menu, ui, cache_hit, timings)

    async def translate_document(self, document: PreparedDocument, target: str) -> FullTranslation:
        return await self._cpu(self.pipeline.translate_prepared, document, target)

    async def resize(
        self,
        chat_id: int,
        user_id: int | None,
        doc_key: str,
        sentences: int,
        show_source: bool,
        ui: str,
    ) -> SummaryView:
        """The same document summarized at another length or with the original shown (the
        buttons under a summary); admitted like any request, Refused otherwise."""
        async with self.admitted(chat_id, user_id):
            return await self.resized(chat_id, doc_key, sentences, show_source, ui)

    async def resized(
        self, chat_id: int, doc_key: str, sentences: int, show_source: bool, ui: str
    ) -> SummaryView:
        """``resize`` without the admission (a worker's job was admitted at the ingress);
        ResultExpired when the document left the cache."""
        settings = await self.settings(chat_id)
        document = await self.cached_document(doc_key)

        async def prepared() -> PreparedDocument:
            return document

        return await self.summary_view(
            doc_key,
            prepared,
            settings.target_languages,
            self.resize_options(sentences, settings.algorithm),
            show_source=show_source,
            ui=ui,
        )

    @staticmethod
    def resize_options(sentences: int, algorithm: str) -> SummaryOptions:
        return SummaryOptions(clamp_sentences(sentences), algorithm=Algorithm(algorithm))

    # -- restart -------------------------------------------------------------------------------

    async def resume_unfinished(self, chat: ChatPort) -> int:
        """Resume (or, after too many attempts, apologize for) every unfinished job."""
        jobs = await self.storage.jobs.unfinished_jobs()
        # Feed jobs resume elsewhere; other kinds through their resumers.
        jobs = [job for job in jobs if job.kind in REQUEST_KINDS or job.kind in self.resumers]
        for job in jobs:
            self.spawn(self.resume(job, chat), name=f"briefbot-resume-{job.id}")
        if jobs:
            log.info("Resuming %d unfinished job(s)", len(jobs))
        return len(jobs)

    async def resume(self, job: Job, chat: ChatPort) -> None:
        """Run a recorded job (again), or apologize when it was started too often; a job that
        is already finished is left alone (a worker's retry after the answer went out)."""
        if job.finished:
            return
        if job.kind in self.resumers:
            await self.resumers[job.kind](job, chat)
            return
        try:
            request = request_from_payload(job.payload)
        except (KeyError, TypeError, ValueError):
            log.error("Job %s has an unreadable payload; apologizing", job.id)
            request = None
        if request is None or job.exhausted:
            await self._apologize(job, chat, request.ui if request else "en")
            return
        dest = request.destination
        async with self.admitted(dest.chat_id, dest.user_id, force=True):
            await self.run_job(job.id, request, chat, job.progress_message_id)

    async def _apologize(self, job: Job, chat: ChatPort, ui: str) -> None:
        try:
            await chat.deliver(
                job.chat_id,
                RestartApology(ui),
                reply_to=job.reply_to_message_id,
                replace=job.progress_message_id,
            )
        except Exception:  # an unreachable chat must not keep the job alive forever
            log.exception("Could not apologize for job %s", job.id)
        try:
            await self.storage.jobs.mark_apologized(job.id)
        except StorageError as exc:
            log.error("Could not mark job %s apologized: %s", job.id, exc.message)


_LOADING_STAGE: dict[str, Stage] = {
    "url": "fetching",
    "file": "reading_file",
    "text": "detecting",
}


def _doc_cache_key(doc_key: str) -> str:
    return f"doc:{PIPELINE_VERSION}:{doc_key}"


def _kind(exc: BaseException) -> str:
    return str(getattr(exc, "kind", type(exc).__name__))
