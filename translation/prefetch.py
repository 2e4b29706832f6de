""" "Longer" before the press: the next-ranked sentences of a summary, translated in the background.

Decoding a long sentence through two hops takes longer than a user will wait for an edited
answer, so after a summary the sentences "Longer" would add are translated into the engine's
memory ahead of time; the press then only recalls them. The work never competes with real
requests: ``TranslationEngine.prefetch`` runs only while no request is translating, on a
translator at the lowest CPU priority, and gives up after ``EngineOptions.prefetch_seconds``.
One background thread serves a short queue; when summaries arrive faster than it empties, the
oldest waiting job is dropped (under load, prefetching simply stops).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from translation.domain import SummaryOptions
from translation.errors import BriefbotError
from translation.pipeline import Pipeline, PreparedDocument
from translation.text.bullets import strip_dateline
from translation.text.summarization import summarize

log = logging.getLogger(__name__)

#: Jobs waiting for the background thread; a newer summary pushes out the oldest.
MAX_WAITING = 4


def next_sentences(prepared: PreparedDocument, options: SummaryOptions, more: int) -> list[str]:
    """The sentences (as a summary shows them) that summaries 1..``more`` sentences longer
    than ``options`` add, in rank order; empty for a summary of the whole text."""
    if options.sentences is None or more < 1:
        return []
    sentences, title = prepared.sentences, prepared.document.title
    shown = set(summarize(sentences, prepared.language, options, title=title))
    added: dict[int, None] = {}
    for extra in range(1, more + 1):
        longer = dataclasses.replace(options, sentences=options.sentences + extra)
        picked = summarize(sentences, prepared.language, longer, title=title)
        added.update((i, None) for i in picked if i not in shown)
    return [strip_dateline(sentences[i]) for i in added]


@dataclass(frozen=True)
class _Job:
    prepared: PreparedDocument
    targets: tuple[str, ...]
    options: SummaryOptions


class Prefetcher:
    """One background thread translating the next sentences of recent summaries."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.decoded = 0  # sentence-hops decoded so far (benchmarks, tests)
        self._jobs: deque[_Job] = deque(maxlen=MAX_WAITING)
        self._wake = threading.Condition()
        self._running = 0
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """Configured, and the engine has a memory to keep the results in."""
        engine = self.pipeline.engine
        return engine.options.prefetch_sentences > 0 and engine.memory is not None

    def submit(
        self, prepared: PreparedDocument, targets: Sequence[str], options: SummaryOptions
    ) -> None:
        """Queue a summary's next sentences for ``targets``; returns at once."""
        if not self.enabled:
            return
        with self._wake:
            if self._closed.is_set():
                return
            self._jobs.append(_Job(prepared, tuple(targets), options))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="briefbot-prefetch", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Whether every queued job finished (or was dropped) within ``timeout``."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._jobs and not self._running, timeout)

    def close(self, timeout: float = 60.0) -> None:
        """Drop waiting jobs and stop the thread after its current sentence, which finishes at
        normal priority: a thread left waiting inside CTranslate2 when the interpreter exits
        would abort the process."""
        with self._wake:
            self._closed.set()
            self._jobs.clear()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            self.pipeline.engine.hurry_background()
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._jobs or self._closed.is_set())
                if self._closed.is_set():
                    return
                job = self._jobs.popleft()
                self._running += 1
            try:
                self.run(job.prepared, job.targets, job.options)
            except (BriefbotError, RuntimeError, OSError) as exc:  # a miss later, never a failure
                log.warning("Prefetch of the next sentences failed: %s", exc)
            finally:
                with self._wake:
                    self._running -= 1
                    self._wake.notify_all()

    def run(
        self, prepared: PreparedDocument, targets: Sequence[str], options: SummaryOptions
    ) -> int:
        """Translate the next sentences now (in the calling thread): sentence-hops decoded."""
        engine = self.pipeline.engine
        deadline = time.monotonic() + engine.options.prefetch_seconds
        texts = next_sentences(prepared, options, engine.options.prefetch_sentences)
        decoded = 0
        for target in dict.fromkeys(targets):
            if texts and target != prepared.language:  # a shared first hop is recalled
                decoded += engine.prefetch(texts, prepared.language, target, deadline, self._closed)
        self.decoded += decoded
        return decoded
