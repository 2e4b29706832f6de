"""The per-model decode scheduler: shared batches under load, the latency floor when alone.

The scheduler's unit tests decode with a deterministic stand-in (it only moves token lists
between callers and batches); the engine tests at the end run it on real CTranslate2 models.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from translation.models.engine import EngineOptions, TranslationEngine
from translation.models.scheduler import DecodeScheduler, DecodeSlots


class Recorder:
    """Echoes each source cut to the batch bound; records batches and how many ran at once.

    While ``gate`` is clear, batches wait in the decoder, so callers pile up behind them."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[str], int]] = []
        self.running = 0
        self.most_at_once = 0
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()

    def __call__(self, sources: list[list[str]], bound: int) -> list[list[str]]:
        with self.lock:
            self.batches.append(([tokens[0] for tokens in sources], bound))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.gate.wait(10)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return [[*tokens, f"<{bound}>"] for tokens in sources]


def sentence(name: str, length: int) -> list[str]:
    return [name, *["x"] * (length - 1)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def scheduler(recorder: Recorder) -> DecodeScheduler:
    return DecodeScheduler(recorder, replicas=2, max_batch_size=32, bound=lambda n: 2 * n)


def run_concurrently(scheduler: DecodeScheduler, requests: list[list[list[str]]]) -> list[object]:
    results: list[object] = [None] * len(requests)

    def work(slot: int) -> None:
        tokens = requests[slot]
        results[slot] = scheduler.decode(tokens, [len(t) for t in tokens])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_lone_request_gets_its_longest_sentence_alone_on_a_replica_at_once(
    scheduler: DecodeScheduler, recorder: Recorder
) -> None:
    request = [sentence("a", 10), sentence("b", 30), sentence("c", 12), []]
    hypotheses = scheduler.decode(request, [10, 30, 12, 0])
    assert sorted(recorder.batches) == [(["a", "c"], 24), (["b"], 60)]
    assert recorder.most_at_once == 2
    assert hypotheses[1][-1] == "<60>" and hypotheses[3] == []
    assert hypotheses[0][:-1] == request[0]


def test_concurrent_requests_share_batches_of_one_bound(
    scheduler: DecodeScheduler, recorder: Recorder
) -> None:
    """20 summaries of 3 sentences queue behind two held batches, then go out as 3 batches.

    Each request's own plan puts its longest sentence alone (bound 60) and the two others
    together (bound 40); across requests, equal bounds share a batch."""
    recorder.gate.clear()
    blocker = threading.Thread(
        target=scheduler.decode, args=([sentence("y", 99), sentence("z", 99)], [99, 99])
    )
    blocker.start()
    while len(recorder.batches) < 2:
        time.sleep(0.01)
    requests = [[sentence(f"r{i}s{j}", 10 + 10 * j) for j in range(3)] for i in range(20)]
    waiting = threading.Thread(target=run_concurrently, args=(scheduler, requests))
    waiting.start()
    time.sleep(0.5)  # all 20 requests have queued
    recorder.gate.set()
    waiting.join(30)
    blocker.join(30)
    shared = sorted((len(names), bound) for names, bound in recorder.batches[2:])
    assert shared == [(20, 40), (20, 40), (20, 60)]


def test_outputs_do_not_depend_on_other_waiting_requests(
    scheduler: DecodeScheduler, recorder: Recorder
) -> None:
    """A sentence's bound comes from its own request's plan, never from the other callers."""
    requests = [[sentence(f"r{i}s{j}", 5 + 7 * ((i + j) % 5)) for j in range(4)] for i in range(12)]
    alone = [scheduler.decode(r, [len(t) for t in r]) for r in requests]
    assert run_concurrently(scheduler, requests) == alone


def test_batches_respect_the_size_limit_and_keep_both_replicas_busy(recorder: Recorder) -> None:
    scheduler = DecodeScheduler(recorder, replicas=2, max_batch_size=8, bound=lambda n: n)
    tokens = [sentence(f"s{i}", 20) for i in range(40)]
    hypotheses = scheduler.decode(tokens, [20] * 40)
    assert [h[0] for h in hypotheses] == [f"s{i}" for i in range(40)]
    assert all(len(names) <= 8 for names, _ in recorder.batches)
    assert recorder.most_at_once == 2


def test_a_failing_batch_fails_its_callers_and_the_scheduler_goes_on() -> None:
    calls = []

    def run(sources: list[list[str]], bound: int) -> list[list[str]]:
        calls.append(bound)
        if len(calls) == 1:
            raise RuntimeError("decoder broke")
        return [list(tokens) for tokens in sources]

    scheduler = DecodeScheduler(run, replicas=2, max_batch_size=32, bound=lambda n: n)
    with pytest.raises(RuntimeError, match="decoder broke"):
        scheduler.decode([["a"]], [1])
    assert scheduler.decode([["b"]], [1]) == [["b"]]


def queue_behind_a_held_batch(
    recorder: Recorder, held: DecodeScheduler, arrivals: list[tuple[DecodeScheduler, str, float]]
) -> list[str]:
    """Hold one batch in ``held`` while ``arrivals`` (scheduler, name, request start) queue in
    that order, each of its own length (so never in one batch), then let everything run: the
    names in the order their batches started."""
    recorder.gate.clear()
    blocker = threading.Thread(target=held.decode, args=([sentence("held", 50)], [50]))
    blocker.start()
    while not recorder.batches:
        time.sleep(0.01)
    threads = []
    for length, (scheduler, name, since) in enumerate(arrivals, start=10):
        job = ([sentence(name, length)], [length], since)
        threads.append(threading.Thread(target=scheduler.decode, args=job))
        threads[-1].start()
        time.sleep(0.2)  # queued, in this order
    recorder.gate.set()
    for thread in [blocker, *threads]:
        thread.join(30)
    return [names[0] for names, _ in recorder.batches[1:]]


def test_an_older_request_goes_first_even_when_its_sentences_arrive_later(
    recorder: Recorder,
) -> None:
    """A second hop carries its request's start, so it is not queued behind newer requests."""
    one = DecodeScheduler(recorder, replicas=1, max_batch_size=32, bound=lambda n: n)
    order = queue_behind_a_held_batch(recorder, one, [(one, "new", 100.0), (one, "old", 0.0)])
    assert order == ["old", "new"]


def test_the_models_share_the_cores_and_the_oldest_request_gets_the_next_one(
    recorder: Recorder,
) -> None:
    """One slot (one core): the second model's older request goes before the first model's
    newer one, and never do two batches decode at once."""
    slots = DecodeSlots(1)
    first, second = (
        DecodeScheduler(recorder, replicas=2, max_batch_size=32, bound=lambda n: n, slots=slots)
        for _ in range(2)
    )
    arrivals = [(first, "new", 100.0), (second, "old", 0.0), (first, "newer", 200.0)]
    order = queue_behind_a_held_batch(recorder, first, arrivals)
    assert order == ["old", "new", "newer"]
    assert recorder.most_at_once == 1


@pytest.fixture
def engines(packages_dir: Path) -> Iterator[tuple[TranslationEngine, TranslationEngine]]:
    on = TranslationEngine(packages_dir)
    off = TranslationEngine(packages_dir, EngineOptions(continuous_batching=False))
    yield on, off
    on.close()
    off.close()


def test_the_engine_gives_the_same_outputs_with_the_scheduler_on_or_off(
    engines: tuple[TranslationEngine, TranslationEngine],
) -> None:
    on, off = engines
    texts = [
        "Die Stadt plant neue Radwege.",
        "Nach Angaben der Polizei wurde bei dem Unfall niemand schwer verletzt.",
        "Der Zug kam an.",
        "Am Wochenende wird mit sonnigem Wetter gerechnet.",
    ]
    for request in (texts, texts[:1], texts * 5):
        assert on.translate(request, "de", "fr") == off.translate(request, "de", "fr")
