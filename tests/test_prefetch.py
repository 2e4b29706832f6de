"""Prefetching "Longer": the next sentences land in the memory as a real request would decode
them, only while no real request translates, at the lowest CPU priority, and never past the
deadline. Real CTranslate2 models from the test-package builder."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from tests.support.bot_harness import GERMAN_ARTICLE
from translation.domain import SummaryOptions
from translation.inputs import TextInput
from translation.models import engine as engine_module
from translation.models.engine import PREFETCH_SETTLE_SECONDS, EngineOptions, TranslationEngine
from translation.models.memory import LruTranslationMemory, Remembered
from translation.pipeline import Pipeline, PreparedDocument
from translation.prefetch import Prefetcher, next_sentences

TARGETS = ("en", "fr")
THREE = SummaryOptions(sentences=3)


@pytest.fixture
def remembering(packages_dir: Path) -> Iterator[TranslationEngine]:
    engine = TranslationEngine(packages_dir, memory=LruTranslationMemory())
    yield engine
    engine.close()


@pytest.fixture
def prepared(engine: TranslationEngine) -> PreparedDocument:
    return asyncio.run(Pipeline(engine).prepare(TextInput(GERMAN_ARTICLE)))


def test_the_next_sentences_are_those_a_longer_summary_adds(
    engine: TranslationEngine, prepared: PreparedDocument
) -> None:
    pipeline = Pipeline(engine)
    shown = pipeline.summarize_prepared(prepared, ["de"], THREE).summaries["de"]
    longer = pipeline.summarize_prepared(prepared, ["de"], SummaryOptions(sentences=5))
    added = next_sentences(prepared, THREE, 2)
    assert len(added) == 2
    assert set(added) == set(longer.summaries["de"]) - set(shown)
    assert next_sentences(prepared, SummaryOptions(sentences=None, ratio=0.5), 2) == []
    assert next_sentences(prepared, THREE, 0) == []


def test_prefetched_sentences_are_what_a_real_request_decodes_and_longer_decodes_nothing(
    remembering: TranslationEngine, engine: TranslationEngine, prepared: PreparedDocument
) -> None:
    pipeline = Pipeline(remembering)
    pipeline.summarize_prepared(prepared, TARGETS, THREE)
    remembered = len(remembering.memory)  # type: ignore[arg-type]
    decoded = Prefetcher(pipeline).run(prepared, TARGETS, THREE)
    assert decoded == 2 * 2  # two sentences, de→en and en→fr (en is fr's first hop)
    assert len(remembering.memory) == remembered + decoded  # type: ignore[arg-type]
    longer = pipeline.summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=5))
    assert len(remembering.memory) == remembered + decoded  # type: ignore[arg-type]
    fresh = Pipeline(engine).summarize_prepared(prepared, TARGETS, SummaryOptions(sentences=5))
    assert longer.summaries == fresh.summaries
    added = next_sentences(prepared, THREE, 2)
    assert remembering.translate(added, "de", "fr") == engine.translate(added, "de", "fr")


def _idle_threads() -> set[str]:
    """Threads of this process whose scheduling policy is SCHED_IDLE (5)."""
    found = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            with open(task / "stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
            continue
        if fields[38] == "5":
            found.add(task.name)
    return found


def test_background_decoding_runs_on_threads_at_the_lowest_priority(
    remembering: TranslationEngine, prepared: PreparedDocument
) -> None:
    before = _idle_threads()
    assert Prefetcher(Pipeline(remembering)).run(prepared, ["fr"], THREE) == 4
    # CTranslate2's replica of the background translator; de→en's went when en→fr's came
    assert len(_idle_threads() - before) == 1
    assert str(threading.get_native_id()) not in _idle_threads()  # the caller keeps its own
    remembering.hurry_background()  # shutdown: a sentence still decoding may not starve
    assert _idle_threads() - before == set()


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per ``give_back`` call the engine makes from now on."""
    gc.collect()  # no translator of an earlier test may go during this one
    calls: list[bool] = []
    monkeypatch.setattr(engine_module, "give_back", lambda: calls.append(True))
    return calls


def test_a_dropped_background_translator_gives_its_memory_back(
    remembering: TranslationEngine, prepared: PreparedDocument, given: list[bool]
) -> None:
    assert Prefetcher(Pipeline(remembering)).run(prepared, ["fr"], THREE) == 4
    assert given == [True]  # de→en's background translator went when en→fr's came


def test_an_evicted_model_gives_its_memory_back(packages_dir: Path, given: list[bool]) -> None:
    engine = TranslationEngine(packages_dir, EngineOptions(max_loaded_models=1))
    try:
        engine.translate(["Der Zug kam an."], "de", "en")
        assert given == []
        engine.translate(["The train arrived."], "en", "fr")  # LRU: de→en goes
        gc.collect()
        assert given == [True]
    finally:
        engine.close()


class HeldMemory(LruTranslationMemory):
    """A memory whose first recall waits for ``release``: a real request kept in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(30)
        return super().recall(model, sources)


@pytest.fixture
def held(packages_dir: Path) -> Iterator[tuple[TranslationEngine, HeldMemory]]:
    """An engine with a real request in flight until ``memory.release`` is set."""
    memory = HeldMemory()
    engine = TranslationEngine(packages_dir, memory=memory)
    real = threading.Thread(target=engine.translate, args=(["Der Zug kam an."], "de", "en"))
    real.start()
    assert memory.entered.wait(30) and engine.busy()
    yield engine, memory
    memory.release.set()
    real.join(30)
    engine.close()


def test_prefetch_waits_for_real_requests_and_gives_up_at_its_deadline(
    held: tuple[TranslationEngine, HeldMemory],
) -> None:
    engine, memory = held
    sentence = ["Die Stadt plant neue Radwege."]
    assert engine.prefetch(sentence, "de", "en", time.monotonic() + 0.3) == 0
    assert len(memory) == 0
    late = threading.Timer(0.3, memory.release.set)
    late.start()
    assert engine.prefetch(sentence, "de", "en", time.monotonic() + 30) == 1
    assert not engine.busy()  # it started only once the real request was done
    late.join(30)
    assert len(memory) == 2


def test_prefetch_starts_only_after_a_lull_in_real_requests(
    remembering: TranslationEngine,
) -> None:
    """Under load the gaps between requests' batches are short: prefetching in them slowed the
    whole bot, so a background sentence waits until nothing translated for a while."""
    remembering.translate(["Der Rat tagte am Montag."], "de", "en")  # a real request ends
    ended = time.monotonic()
    sentence = ["Die Stadt plant neue Radwege."]
    too_soon = ended + PREFETCH_SETTLE_SECONDS / 2
    assert remembering.prefetch(sentence, "de", "en", too_soon) == 0
    assert remembering.prefetch(sentence, "de", "en", time.monotonic() + 30) == 1
    assert time.monotonic() - ended >= PREFETCH_SETTLE_SECONDS


def test_the_prefetcher_runs_queued_jobs_in_the_background_and_can_be_turned_off(
    packages_dir: Path, remembering: TranslationEngine, prepared: PreparedDocument
) -> None:
    prefetcher = Prefetcher(Pipeline(remembering))
    prefetcher.submit(prepared, ["en"], THREE)
    assert prefetcher.wait_idle(60)
    assert prefetcher.decoded == 2
    prefetcher.close()
    prefetcher.submit(prepared, ["fr"], THREE)  # closed: ignored
    assert prefetcher.wait_idle(1) and prefetcher.decoded == 2

    off = TranslationEngine(
        packages_dir, EngineOptions(prefetch_sentences=0), memory=LruTranslationMemory()
    )
    try:
        quiet = Prefetcher(Pipeline(off))
        assert not quiet.enabled
        quiet.submit(prepared, ["en"], THREE)
        assert quiet.wait_idle(1) and len(off.memory) == 0  # type: ignore[arg-type]
    finally:
        off.close()


def test_closing_stops_a_prefetch_that_waits_for_a_busy_engine(
    held: tuple[TranslationEngine, HeldMemory], prepared: PreparedDocument
) -> None:
    engine, memory = held
    prefetcher = Prefetcher(Pipeline(engine))
    prefetcher.submit(prepared, ["en"], THREE)
    assert not prefetcher.wait_idle(0.5)  # waiting for the real request, up to 30 s
    prefetcher.close()
    assert prefetcher.wait_idle(0)  # not waiting any more: cancelled
    assert prefetcher.decoded == 0 and len(memory) == 0
