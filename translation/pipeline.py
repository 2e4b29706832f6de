"""The service layer of the language pipeline: input -> document -> summary -> translations.

I/O (fetching) is async; every CPU-bound stage runs in the executor the caller provides, so the
bot's event loop never blocks. ``prepare`` does the work shared by a summary and a full
translation (load, detect, segment) once, and its result can be cached and reused.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from translation.domain import (
    Detection,
    Document,
    FullTranslation,
    LanguageGuess,
    PipelineResult,
    SummaryOptions,
)
from translation.errors import (
    InputError,
    LanguageUncertainError,
    LimitExceededError,
    ModelMissingError,
    NoTextError,
)
from translation.inputs import FileInput, InputSource, TextInput, UrlInput
from translation.models.engine import TranslationEngine
from translation.options import at_least
from translation.text.bullets import strip_dateline
from translation.text.cleaning import clean_article_text, split_title
from translation.text.detection import NOT_PROSE_METHOD, detect_language
from translation.text.normalize import normalize_text
from translation.text.segmentation import segment_paragraphs
from translation.text.summarization import summarize
from translation.web.decoding import decode_bytes
from translation.web.extraction import extract_article, looks_like_html
from translation.web.fetching import FetchPolicy, fetch_url

T = TypeVar("T")
#: Called (in the worker thread) with each summary's language and sentences as it is ready.
SummaryListener = Callable[[str, list[str]], None]

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class PipelineLimits:
    """Documented input limits; exceeding one raises LimitExceededError naming it."""

    max_text_chars: int = 100_000
    max_sentences: int = 1000
    max_file_bytes: int = 2_000_000

    def __post_init__(self) -> None:
        at_least(1, self, "max_text_chars", "max_sentences", "max_file_bytes")


@dataclass
class PreparedDocument:
    """A document after loading, language detection and segmentation (cacheable as JSON)."""

    document: Document
    detection: Detection
    paragraphs: list[list[str]]
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.detection.language

    @property
    def sentences(self) -> list[str]:
        return [s for paragraph in self.paragraphs for s in paragraph]

    def to_json(self) -> dict[str, Any]:
        d = self.detection
        return {
            "text": self.document.text,
            "title": self.document.title,
            "url": self.document.url,
            "detection": {
                "language": d.language,
                "confidence": d.confidence,
                "uncertain": d.uncertain,
                "method": d.method,
                "candidates": [[c.language, c.probability] for c in d.candidates],
            },
            "paragraphs": self.paragraphs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreparedDocument:
        det = data["detection"]
        detection = Detection(
            language=det["language"],
            confidence=det["confidence"],
            candidates=tuple(LanguageGuess(lang, prob) for lang, prob in det["candidates"]),
            uncertain=det["uncertain"],
            method=det["method"],
        )
        document = Document(text=data["text"], title=data["title"], url=data["url"])
        return cls(document=document, detection=detection, paragraphs=data["paragraphs"])


class _Stopwatch:
    """Collects per-stage wall times in milliseconds."""

    def __init__(self, into: dict[str, float]) -> None:
        self.timings = into

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000.0
            self.timings[name] = round(self.timings.get(name, 0.0) + elapsed, 2)


class Pipeline:
    """Turns an input into a summary in several languages, or into a full translation."""

    def __init__(
        self,
        engine: TranslationEngine,
        fetch_policy: FetchPolicy | None = None,
        limits: PipelineLimits | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.engine = engine
        self.fetch_policy = fetch_policy or FetchPolicy()
        self.limits = limits or PipelineLimits()
        self.executor = executor
        #: One CPU stage (extract, clean, detect, segment, pick sentences) at a time. They hold
        #: the GIL anyway; run by twenty requests admitted at once they slowed the event loop
        #: and the older requests' translation threads (README, issue 17, fourth round).
        self._stage_lock = threading.RLock()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """A CPU stage in the executor, one at a time (``_stage_lock``)."""

        def staged() -> T:
            with self._stage_lock:
                return fn(*args)

        return await self._run_translating(staged)

    async def _run_translating(self, fn: Callable[..., T], *args: Any) -> T:
        """Work that waits on decoding runs in the executor without the stage lock."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # -- loading -----------------------------------------------------------------------------

    async def load(self, source: InputSource, timings: dict[str, float]) -> Document:
        """Fetch (for links), decode, extract and clean: a Document with title and body text."""
        watch = _Stopwatch(timings)
        if isinstance(source, UrlInput):
            with watch.stage("fetch"):
                page = await fetch_url(source.url, self.fetch_policy)
            if page.is_html:
                with watch.stage("extract"):
                    doc = await self._run(extract_article, page.text, page.final_url)
                return await self._run(self._finish_document, doc, watch)
            raw = Document(text=page.text, url=page.final_url)
            return await self._run(self._document_from_text, raw, watch)
        if isinstance(source, FileInput):
            self._check_file_size(len(source.data))
            text, _encoding = await self._run(
                decode_bytes, source.data, None, source.suffix in HTML_SUFFIXES
            )
            is_html = source.suffix in HTML_SUFFIXES or (
                source.suffix not in {".txt", ".md"} and looks_like_html(text)
            )
            if is_html:
                with watch.stage("extract"):
                    doc = await self._run(extract_article, text, None)
                return await self._run(self._finish_document, doc, watch)
            return await self._run(self._document_from_text, Document(text=text), watch)
        if isinstance(source, TextInput):
            if looks_like_html(source.text):
                with watch.stage("extract"):
                    doc = await self._run(extract_article, source.text, None)
                return await self._run(self._finish_document, doc, watch)
            return await self._run(self._document_from_text, Document(text=source.text), watch)
        raise InputError("Unsupported input.")

    def _check_file_size(self, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise LimitExceededError(
                f"That file is {size:,} bytes; the limit is {self.limits.max_file_bytes:,} bytes.",
                limit="max_file_bytes",
            )

    def _document_from_text(self, raw: Document, watch: _Stopwatch) -> Document:
        """Pasted text: clean it, then take a leading title line off the body."""
        self._check_length(raw.text)
        with watch.stage("clean"):
            cleaned = clean_article_text(raw.text)
            title, body = split_title(cleaned)
        return self._finish_document(Document(text=body, title=title, url=raw.url), watch)

    def _finish_document(self, doc: Document, watch: _Stopwatch) -> Document:
        with watch.stage("clean"):
            text = clean_article_text(doc.text)
        if not text.strip():
            raise NoTextError("There is no text to summarize.")
        self._check_length(text)
        # the title gets the text's treatment too: no bidi overrides or other invisible marks
        title = normalize_text(doc.title) if doc.title else None
        return Document(text=text, title=title or None, url=doc.url)

    def _check_length(self, text: str) -> None:
        if len(text) > self.limits.max_text_chars:
            raise LimitExceededError(
                f"That text is {len(text):,} characters long; "
                f"the limit is {self.limits.max_text_chars:,}.",
                limit="max_text_chars",
            )

    # -- shared preparation --------------------------------------------------------------------

    async def prepare(self, source: InputSource) -> PreparedDocument:
        """Load, detect the language and segment once; summaries and full translations reuse it."""
        timings: dict[str, float] = {}
        document = await self.load(source, timings)
        return await self._run(self.prepare_document, document, timings)

    def prepare_document(
        self, document: Document, timings: dict[str, float] | None = None
    ) -> PreparedDocument:
        timings = {} if timings is None else timings
        watch = _Stopwatch(timings)
        with watch.stage("detect"):
            detection = detect_language(document.text)
        if detection.method == NOT_PROSE_METHOD:
            raise NoTextError("There is no prose to summarize, only a few words repeated.")
        if not detection.language:
            raise LanguageUncertainError("I couldn't tell which language this text is in.")
        with watch.stage("segment"):
            paragraphs = segment_paragraphs(document.text, detection.language)
        count = sum(len(p) for p in paragraphs)
        if count == 0:
            raise NoTextError("There is no text to summarize.")
        if count > self.limits.max_sentences:
            raise LimitExceededError(
                f"That text has {count:,} sentences; the limit is {self.limits.max_sentences:,}.",
                limit="max_sentences",
            )
        return PreparedDocument(document, detection, paragraphs, timings)

    # -- summary -------------------------------------------------------------------------------

    def summarize_prepared(
        self,
        prepared: PreparedDocument,
        targets: Sequence[str],
        options: SummaryOptions,
        on_summary: SummaryListener | None = None,
    ) -> PipelineResult:
        """Pick the key sentences in the source language, then translate them per target;
        ``on_summary(language, sentences)`` hears of each summary as soon as it exists (the
        source language's first), so a front end can show it before the rest is done."""
        timings = dict(prepared.timings_ms)
        watch = _Stopwatch(timings)
        source = prepared.language
        sentences = prepared.sentences
        with watch.stage("summarize"), self._stage_lock:
            picked = summarize(sentences, source, options, title=prepared.document.title)
        summary = [strip_dateline(sentences[i]) for i in picked]  # "Berlin (dpa) – " is no news
        summaries: dict[str, list[str]] = {source: summary}
        if on_summary is not None:
            on_summary(source, summary)
        pivots: dict[str, str] = {}
        missing: dict[str, str] = {}
        needed: dict[str, list[str]] = {}
        title = prepared.document.title
        # The title travels as one more sentence in the same batch, then is split off again.
        batch = [*summary, title] if title else summary
        with watch.stage("translate"):
            self._translate_into(
                batch,
                source,
                targets,
                summaries,
                pivots,
                missing,
                needed,
                watch,
                _without_title(on_summary) if title else on_summary,
            )
        titles: dict[str, str] = {}
        for language in list(summaries):
            if title and language != source:
                translated = summaries[language]
                summaries[language], titles[language] = translated[:-1], translated[-1]
        return PipelineResult(
            source_language=source,
            confidence=prepared.detection.confidence,
            detection=prepared.detection,
            title=title,
            url=prepared.document.url,
            sentence_count=len(sentences),
            summaries=summaries,
            titles=titles,
            pivots=pivots,
            missing=missing,
            missing_packages=needed,
            timings_ms=timings,
            algorithm=options.algorithm.value,
        )

    def _translate_into(
        self,
        sentences: list[str],
        source: str,
        targets: Sequence[str],
        out: dict[str, list[str]],
        pivots: dict[str, str],
        missing: dict[str, str],
        needed: dict[str, list[str]],
        watch: _Stopwatch,
        on_summary: SummaryListener | None = None,
    ) -> None:
        """Translate along each target's route, reusing hops already done (e.g. de->en for fr);
        an unreachable target gets its error message and the packages it needs."""
        done: dict[str, list[str]] = {source: sentences}
        since = time.monotonic()  # every hop of every target decodes as this request's
        for target in dict.fromkeys(targets):
            if target == source:
                continue
            try:
                path = self.engine.route(source, target)
            except ModelMissingError as exc:
                missing[target] = exc.message
                needed[target] = list(exc.needed)
                continue
            with watch.stage(f"translate_{target}"):
                for here, there in itertools.pairwise(path):
                    if there not in done:
                        translated = self.engine.translate(done[here], here, there, since)
                        done[there] = translated.sentences
            out[target] = done[target]
            if on_summary is not None:
                on_summary(target, done[target])
            if len(path) > 2:
                pivots[target] = "→".join(path[1:-1])

    async def summarize(
        self, source: InputSource, targets: Sequence[str], options: SummaryOptions
    ) -> PipelineResult:
        prepared = await self.prepare(source)
        return await self._run_translating(self.summarize_prepared, prepared, targets, options)

    # -- full translation ----------------------------------------------------------------------

    def translate_prepared(self, prepared: PreparedDocument, target: str) -> FullTranslation:
        """Translate every sentence as one batch per hop, keeping the paragraph structure."""
        timings = dict(prepared.timings_ms)
        watch = _Stopwatch(timings)
        source = prepared.language
        flat = prepared.sentences
        title = prepared.document.title
        paragraphs = prepared.paragraphs
        pivot: str | None = None
        if target != source:
            path = self.engine.route(source, target)
            batch = ([title] if title else []) + flat
            since = time.monotonic()
            with watch.stage("translate"):
                for here, there in itertools.pairwise(path):
                    batch = self.engine.translate(batch, here, there, since).sentences
            if title:
                title, batch = batch[0], batch[1:]
            paragraphs = _regroup(batch, [len(p) for p in prepared.paragraphs])
            pivot = "→".join(path[1:-1]) or None
        return FullTranslation(
            source_language=source,
            target_language=target,
            title=title,
            url=prepared.document.url,
            paragraphs=paragraphs,
            pivot=pivot,
            timings_ms=timings,
        )

    async def translate_full(self, source: InputSource, target: str) -> FullTranslation:
        prepared = await self.prepare(source)
        return await self._run_translating(self.translate_prepared, prepared, target)


def _without_title(listener: SummaryListener | None) -> SummaryListener | None:
    """``listener`` fed summaries only: the title travels last in each translated batch."""
    if listener is None:
        return None
    return lambda language, sentences: listener(language, sentences[:-1])


def _regroup(flat: list[str], sizes: list[int]) -> list[list[str]]:
    out: list[list[str]] = []
    start = 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out
