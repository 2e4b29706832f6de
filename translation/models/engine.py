"""Batched, bounded, thread-safe translation with installed argos packages on CTranslate2.

Why not ``argostranslate.translate``: importing it loads stanza/spaCy/torch, its sentence
splitters download models, and it translates paragraph by paragraph (about one sentence per
batch). Here every sentence of a request goes to CTranslate2 in one go, sorted by length into
batches submitted asynchronously so all ``inter_threads`` replicas work at once, and each
sentence's decoding length is bounded relative to its length (see ``translation.models.batching``),
so a model that never emits end-of-sentence (random weights, a broken package) cannot run
away.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import ctranslate2
import sentencepiece as spm

from translation.errors import ModelLoadError, ModelMissingError
from translation.models.allocator import give_back, keep_freed_memory
from translation.models.argos_packages import InstalledPackage, current_packages_dir, list_installed
from translation.models.batching import (
    BUCKET_GROWTH,
    MAX_INPUT_TOKENS,
    length_bucket,
    plan_batches,
)
from translation.models.idle import build_at_idle_priority, restore_priority
from translation.models.memory import Remembered, TranslationMemory
from translation.models.scheduler import DecodeScheduler, DecodeSlots
from translation.options import at_least, positive

log = logging.getLogger(__name__)

PIVOT_LANGUAGE = "en"
#: CTranslate2's compute types (the config accepts exactly these).
ComputeType = Literal[
    "default",
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
]
#: argostranslate's own value, so outputs rank hypotheses the same way.
LENGTH_PENALTY = 0.2
#: Background work (the "Longer" prefetch) starts only after this long without a real request
#: translating, not in the short gaps between the batches of a busy bot: a request that arrives
#: while a background sentence decodes is 1.11-1.17x slower (README, issue 17).
PREFETCH_SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class EngineOptions:
    """CTranslate2 settings; defaults chosen with ``benchmarks/thread_scaling.py``.

    Measured on the 2-core VM (transformer-base test package, beam 2, int8, 100 German
    sentences; the machine was shared, so figures are indicative):
    inter 2 / intra 1: 15.5 sentences/s, 3-sentence request 0.62 s;
    inter 2 / intra 2: 11.0 sentences/s, 1.11 s; inter 1 / intra 1: 8.0, 0.80 s;
    inter 1 / intra 2: 5.1, 1.52 s. Two replicas with one thread each use both cores
    without the intra-op thread pool's contention. Batches of 32 cost 84-86 ms CPU per
    sentence at 400 sentences, 16 cost 93 ms, 8 cost 106 ms. Beam 2 (argostranslate uses 4)
    halves decoding work. ``length_ratio``/``length_extra`` bound a sentence to 2x its length
    + 10 tokens, far above what real models produce, but finite for broken ones.
    """

    beam_size: int = 2
    compute_type: ComputeType = "int8"
    inter_threads: int = 2
    intra_threads: int = 1
    max_batch_size: int = 32
    max_loaded_models: int = 4
    length_ratio: float = 2.0
    length_extra: int = 10
    max_decoding_length: int = 512
    #: One DecodeScheduler per loaded model shares batches across concurrent requests;
    #: off: each request plans and submits its own batches (the benchmarks' comparison).
    continuous_batching: bool = True
    #: After a summary, this many next-ranked sentences ("Longer") are translated into the
    #: memory in the background, at the lowest CPU priority (0: off; see ``prefetch``).
    prefetch_sentences: int = 2
    #: A prefetch that cannot start within this many seconds (real requests keep the engine
    #: busy) is dropped.
    prefetch_seconds: float = 30.0

    def __post_init__(self) -> None:
        at_least(1, self, "beam_size", "inter_threads", "max_batch_size", "max_loaded_models")
        at_least(1, self, "max_decoding_length")
        at_least(0, self, "intra_threads", "length_extra", "prefetch_sentences")
        at_least(0, self, "prefetch_seconds")
        positive(self, "length_ratio")

    def decoding_bound(self, source_tokens: int) -> int:
        """Most target tokens a sentence of ``source_tokens`` tokens may produce.

        The bound is computed from the length bucket, not the exact length, so that a
        sentence's bound (and so its output) does not depend on which sentences share its
        batch, while batches still hold many sentences.
        """
        source = length_bucket(min(source_tokens, MAX_INPUT_TOKENS))
        relative = math.ceil(self.length_ratio * source) + self.length_extra
        return max(1, min(self.max_decoding_length, relative))


@dataclass(frozen=True)
class Translation:
    """Output sentences aligned with the input; ``pivot`` names the bridge language if any.

    ``output_tokens`` holds the number of target tokens generated per sentence by the last
    step (0 for blank input), for throughput figures and decoding-bound checks.
    """

    sentences: list[str]
    pivot: str | None
    output_tokens: list[int] = field(default_factory=list)


class _Tokenizer(Protocol):
    def encode(self, sentences: list[str]) -> list[list[str]]: ...

    def decode(self, tokens: list[str]) -> str: ...


class _SentencePieceTokenizer:
    def __init__(self, model_file: Path) -> None:
        self._processor = spm.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, sentences: list[str]) -> list[list[str]]:
        return list(self._processor.encode(sentences, out_type=str))

    def decode(self, tokens: list[str]) -> str:
        return str(self._processor.decode_pieces(tokens))


class _BpeTokenizer:
    """Moses + BPE packages (a few older argos models), via argostranslate's tokenizer."""

    def __init__(self, model_file: Path, from_code: str, to_code: str) -> None:
        from argostranslate.tokenizer import BPETokenizer  # imports only sentencepiece

        self._tokenizer = BPETokenizer(model_file, from_code, to_code)
        self._tokenizer.lazy_load()  # not thread-safe, so done once at load time

    def encode(self, sentences: list[str]) -> list[list[str]]:
        return [self._tokenizer.encode(sentence) for sentence in sentences]

    def decode(self, tokens: list[str]) -> str:
        return str(self._tokenizer.decode(tokens))


class _Background:
    """A model's lowest-priority translator (one replica), built at first use (see ``idle``)."""

    def __init__(self, model_dir: Path, options: EngineOptions) -> None:
        self._model_dir = model_dir
        self._options = options
        self._lock = threading.Lock()
        self._translator: Any = None
        self._threads: set[int] = set()
        self._hurried = False

    def translator(self) -> Any:
        with self._lock:
            if self._translator is None:
                self._translator, self._threads = build_at_idle_priority(
                    lambda: _translator(self._model_dir, self._options, replicas=1)
                )
                if self._hurried:
                    restore_priority(self._threads)
            return self._translator

    def hurry(self) -> None:
        """Normal priority for the worker from now on, so a sentence still decoding ends soon
        (shutdown)."""
        with self._lock:
            self._hurried = True
            restore_priority(self._threads)

    def release(self) -> None:
        """Drop the translator (the next use builds it again; its memory goes back to the
        kernel, see ``_translator``)."""
        with self._lock:
            self._translator, self._threads = None, set()


@dataclass(frozen=True)
class _LoadedModel:
    package: InstalledPackage
    translator: Any  # ctranslate2.Translator (untyped extension)
    tokenizer: _Tokenizer
    memory_key: str
    background: _Background
    scheduler: DecodeScheduler | None = None


class TranslationEngine:
    """Translates lists of sentences between installed languages, pivoting through English."""

    def __init__(
        self,
        packages_dir: Path | None = None,
        options: EngineOptions = EngineOptions(),
        memory: TranslationMemory | None = None,
    ) -> None:
        self._packages_dir = packages_dir
        self._options = options
        self.memory = memory
        self._lock = threading.Lock()
        self._load_locks: dict[tuple[str, str], threading.Lock] = {}
        self._loaded: OrderedDict[tuple[str, str], _LoadedModel] = OrderedDict()
        self._packages: dict[tuple[str, str], InstalledPackage] = {}
        #: Real requests translating now; prefetching waits until there are none, and have
        #: been none since ``_quiet_since`` for ``PREFETCH_SETTLE_SECONDS``.
        self._foreground = 0
        self._quiet_since = time.monotonic()
        self._quiet = threading.Condition()
        #: One decoding batch per core across all models (see ``DecodeSlots``).
        self._slots = DecodeSlots(options.inter_threads)
        self.refresh()

    @property
    def options(self) -> EngineOptions:
        return self._options

    def refresh(self) -> None:
        """Re-scan the packages directory (after installs); drop models that changed."""
        root = self._packages_dir if self._packages_dir is not None else current_packages_dir()
        packages = {(p.from_code, p.to_code): p for p in list_installed(root)}
        with self._lock:
            self._packages = packages
            for pair in [p for p, m in self._loaded.items() if packages.get(p) != m.package]:
                del self._loaded[pair]

    def pairs(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._packages)

    def packages(self) -> list[InstalledPackage]:
        with self._lock:
            return sorted(self._packages.values(), key=lambda p: p.code)

    def languages(self) -> set[str]:
        return {code for pair in self.pairs() for code in pair}

    def route(self, source: str, target: str) -> list[str]:
        """Languages a text passes through: direct, or via English; raises if neither exists."""
        if source == target:
            return [source]
        pairs = self.pairs()
        if (source, target) in pairs:
            return [source, target]
        via = (source, PIVOT_LANGUAGE), (PIVOT_LANGUAGE, target)
        if PIVOT_LANGUAGE not in (source, target) and all(hop in pairs for hop in via):
            return [source, PIVOT_LANGUAGE, target]
        raise _missing_error(source, target, pairs)

    def reachable_targets(self, source: str) -> set[str]:
        """Languages ``source`` can be translated into, directly or by pivot (not itself)."""
        pairs = self.pairs()
        direct = {t for s, t in pairs if s == source}
        if source != PIVOT_LANGUAGE and PIVOT_LANGUAGE in direct:
            direct |= {t for s, t in pairs if s == PIVOT_LANGUAGE}
        return direct - {source}

    def loaded_count(self) -> int:
        with self._lock:
            return len(self._loaded)

    def close(self) -> None:
        """Drop every loaded model; CTranslate2 frees one when its last user finishes."""
        with self._lock:
            self._loaded.clear()

    def translate(
        self, sentences: Sequence[str], source: str, target: str, since: float | None = None
    ) -> Translation:
        """Translate sentences (one batch per request), output aligned with the input.
        ``since`` (``time.monotonic()``) is when the request began, so under load its later
        hops go before the sentences of requests that began after it (default: now)."""
        since = time.monotonic() if since is None else since
        texts = list(sentences)
        if not texts or source == target:
            return Translation(texts, None, [0] * len(texts))
        path = self.route(source, target)
        tokens: list[int] = []
        with self._quiet:
            self._foreground += 1
        try:
            for hop_source, hop_target in itertools.pairwise(path):
                texts, tokens = self._translate_direct(texts, hop_source, hop_target, since)
        finally:
            with self._quiet:
                self._foreground -= 1
                if self._foreground == 0:
                    self._quiet_since = time.monotonic()
                self._quiet.notify_all()
        return Translation(texts, path[1] if len(path) == 3 else None, tokens)

    def busy(self) -> bool:
        """Whether a real request is translating now."""
        with self._quiet:
            return self._foreground > 0

    def prefetch(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        deadline: float,
        cancel: threading.Event | None = None,
    ) -> int:
        """Put translations of ``sentences`` into the memory for a later request; returns
        how many sentence-hops were decoded.

        Each sentence is decoded alone to its own bound (the output a real request gets) on
        the model's lowest-priority translator, and only while no real request is translating;
        once ``deadline`` (``time.monotonic()``) passes without such a pause, or ``cancel`` is
        set, the rest is dropped. Without a memory there is nowhere to keep the result, so
        nothing is done.
        """
        if self.memory is None or source == target:
            return 0
        decoded = 0
        texts = [text for text in dict.fromkeys(sentences) if text.strip()]
        for here, there in itertools.pairwise(self.route(source, target)):
            model = self._model(here, there)
            known = self.memory.recall(model.memory_key, texts)
            for text in texts:
                if text in known:
                    continue
                if not self._wait_quiet(deadline, cancel):
                    return decoded
                known[text] = self._decode_background(model, text)
                self.memory.remember(model.memory_key, {text: known[text]})
                decoded += 1
            texts = [known[text].text for text in texts if known[text].text.strip()]
        return decoded

    def hurry_background(self) -> None:
        """Let background sentences still decoding finish at normal priority (shutdown)."""
        with self._lock:
            models = list(self._loaded.values())
        for model in models:
            model.background.hurry()

    def _wait_quiet(self, deadline: float, cancel: threading.Event | None) -> bool:
        """Wait until no real request has translated for ``PREFETCH_SETTLE_SECONDS``: False at
        the deadline or when cancelled."""

        def settled() -> bool:
            quiet_for = time.monotonic() - self._quiet_since
            return self._foreground == 0 and quiet_for >= PREFETCH_SETTLE_SECONDS

        with self._quiet:
            while cancel is None or not cancel.is_set():
                left = deadline - time.monotonic()
                if self._quiet.wait_for(settled, min(0.25, max(0, left))):
                    return True
                if left <= 0:
                    return False
            return False

    def _decode_background(self, model: _LoadedModel, text: str) -> Remembered:
        encoded = model.tokenizer.encode([text])
        bound = self._options.decoding_bound(len(encoded[0]))
        with self._lock:  # one background translator at a time: ~100 MB, not one per model
            others = [m.background for m in self._loaded.values() if m is not model]
        for other in others:
            other.release()
        translator = model.background.translator()
        results = _submit(model, encoded, bound, self._options, translator)
        return self._outputs(model, [list(results[0].result().hypotheses[0])], [len(encoded[0])])[0]

    def _translate_direct(
        self, texts: list[str], source: str, target: str, since: float
    ) -> tuple[list[str], list[int]]:
        """One hop: remembered sentences are reused, each other distinct sentence decoded once."""
        model = self._model(source, target)
        wanted = [text for text in dict.fromkeys(texts) if text.strip()]
        known = self.memory.recall(model.memory_key, wanted) if self.memory is not None else {}
        todo = [text for text in wanted if text not in known]
        if todo:
            fresh = dict(zip(todo, self._decode(model, todo, since), strict=True))
            if self.memory is not None:
                self.memory.remember(model.memory_key, fresh)
            known = {**known, **fresh}
        blank = Remembered("", 0)
        found = [known.get(text, blank) if text.strip() else blank for text in texts]
        return [entry.text for entry in found], [entry.tokens for entry in found]

    def _decode(self, model: _LoadedModel, texts: list[str], since: float) -> list[Remembered]:
        encoded = model.tokenizer.encode(texts)
        lengths = [len(tokens) for tokens in encoded]
        if model.scheduler is not None:
            hypotheses = model.scheduler.decode(encoded, lengths, since)
        else:
            hypotheses = self._decode_planned(model, encoded, lengths)
        return self._outputs(model, hypotheses, lengths)

    def _outputs(
        self, model: _LoadedModel, hypotheses: list[list[str]], lengths: list[int]
    ) -> list[Remembered]:
        prefix = model.package.target_prefix
        outputs = []
        for hypothesis, length in zip(hypotheses, lengths, strict=True):
            if prefix and hypothesis[:1] == [prefix]:
                hypothesis = hypothesis[1:]
            # A shared small-request batch decodes to its longest member's bound.
            hypothesis = hypothesis[: self._options.decoding_bound(length)]
            text = model.tokenizer.decode(hypothesis).strip() if length else ""
            outputs.append(Remembered(text, len(hypothesis)))
        return outputs

    def _decode_planned(
        self, model: _LoadedModel, encoded: list[list[str]], lengths: list[int]
    ) -> list[list[str]]:
        """Without the scheduler: this request's own batch plan, submitted asynchronously."""
        options = self._options
        hypotheses: list[list[str]] = [[] for _ in encoded]
        pending = []
        for batch in plan_batches(lengths, options.max_batch_size, options.inter_threads):
            sources = [encoded[i] for i in batch]
            bound = options.decoding_bound(len(sources[-1]))
            pending.append((batch, _submit(model, sources, bound, options)))
        for batch, results in pending:
            for index, result in zip(batch, results, strict=True):
                hypotheses[index] = list(result.result().hypotheses[0])
        return hypotheses

    def _model(self, source: str, target: str) -> _LoadedModel:
        pair = (source, target)
        with self._lock:
            model = self._cached(pair)
            if model is not None:
                return model
            package = self._packages.get(pair)
            if package is None:
                raise _missing_error(source, target, set(self._packages))
            load_lock = self._load_locks.setdefault(pair, threading.Lock())
        with load_lock:
            with self._lock:
                model = self._cached(pair)
            if model is not None:
                return model
            model = _with_scheduler(_load(package, self._options), self._options, self._slots)
            with self._lock:
                self._loaded[pair] = model
                while len(self._loaded) > max(1, self._options.max_loaded_models):
                    evicted, _ = self._loaded.popitem(last=False)
                    log.info("Unloaded %s-%s (LRU)", *evicted)
            return model

    def _cached(self, pair: tuple[str, str]) -> _LoadedModel | None:
        model = self._loaded.get(pair)
        if model is not None:
            self._loaded.move_to_end(pair)
        return model


def _submit(
    model: _LoadedModel,
    sources: list[list[str]],
    bound: int,
    options: EngineOptions,
    translator: Any = None,
) -> Any:
    """One asynchronous CTranslate2 call for one batch decoded to at most ``bound`` tokens
    (futures: the replica pool schedules them the same way for the scheduler's threads), on
    the model's translator unless another one (the background one) is given."""
    prefix = model.package.target_prefix
    return (translator if translator is not None else model.translator).translate_batch(
        sources,
        target_prefix=[[prefix] for _ in sources] if prefix else None,
        asynchronous=True,
        max_batch_size=max(options.max_batch_size, len(sources)),
        beam_size=options.beam_size,
        length_penalty=LENGTH_PENALTY,
        max_input_length=MAX_INPUT_TOKENS,
        max_decoding_length=bound + (1 if prefix else 0),
        replace_unknowns=True,
    )


def _with_scheduler(
    model: _LoadedModel, options: EngineOptions, slots: DecodeSlots
) -> _LoadedModel:
    if not options.continuous_batching:
        return model

    def run_batch(sources: list[list[str]], bound: int) -> list[list[str]]:
        results = _submit(model, sources, bound, options)
        return [list(result.result().hypotheses[0]) for result in results]

    scheduler = DecodeScheduler(
        run_batch,
        replicas=options.inter_threads,
        max_batch_size=options.max_batch_size,
        bound=options.decoding_bound,
        slots=slots,
    )
    return dataclasses.replace(model, scheduler=scheduler)


def memory_key(package: InstalledPackage, options: EngineOptions) -> str:
    """What a remembered output depends on: the package (path, version, model file identity)
    and every option that changes an output (never threads or batch sizes)."""
    try:
        stat = (package.path / "model" / "model.bin").stat()
        identity = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        identity = "?"
    return (
        f"{package.path}|{package.version}|{identity}|{package.target_prefix}|"
        f"{options.compute_type}|beam {options.beam_size}|lp {LENGTH_PENALTY}|"
        f"bound {options.length_ratio}x+{options.length_extra}<={options.max_decoding_length}|"
        f"buckets {BUCKET_GROWTH}"
    )


def _load(package: InstalledPackage, options: EngineOptions) -> _LoadedModel:
    """Open a package's CTranslate2 model and tokenizer, or explain why it cannot be used."""
    label = f"{package.from_code}→{package.to_code} package at {package.path}"
    model_dir = package.path / "model"
    try:
        sp_model = package.path / "sentencepiece.model"
        bpe_model = package.path / "bpe.model"
        tokenizer: _Tokenizer
        if sp_model.is_file():
            tokenizer = _SentencePieceTokenizer(sp_model)
        elif bpe_model.is_file():
            tokenizer = _BpeTokenizer(bpe_model, package.from_code, package.to_code)
        else:
            raise ModelLoadError(f"The {label} has no sentencepiece.model or bpe.model")
        if not (model_dir / "model.bin").is_file():
            raise ModelLoadError(f"The {label} has no model/model.bin")
        translator = _translator(model_dir, options, options.inter_threads)
    except ModelLoadError:
        raise
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(f"The {label} cannot be loaded: {exc}") from exc
    log.info("Loaded %s", label)
    key = memory_key(package, options)
    return _LoadedModel(package, translator, tokenizer, key, _Background(model_dir, options))


def _translator(model_dir: Path, options: EngineOptions, replicas: int) -> Any:
    """A CTranslate2 translator whose memory goes back to the kernel once it is gone (an LRU
    eviction once its last batch is done, a dropped background translator): malloc keeps
    freed memory for decoding (see ``allocator``), which would keep ~100 MB of weights too."""
    keep_freed_memory()
    translator = ctranslate2.Translator(
        str(model_dir),
        device="cpu",
        compute_type=options.compute_type,
        inter_threads=replicas,
        intra_threads=options.intra_threads,
    )
    weakref.finalize(translator, _give_back).atexit = False
    return translator


def _give_back() -> None:
    give_back()  # looked up when called, so tests can count the calls


def _missing_error(source: str, target: str, pairs: set[tuple[str, str]]) -> ModelMissingError:
    direct = f"{source}→{target}"
    if PIVOT_LANGUAGE in (source, target):
        return ModelMissingError(
            f"No model for {direct}: install a {direct} package",
            source,
            target,
            (f"{source}-{target}",),
        )
    hops = [(source, PIVOT_LANGUAGE), (PIVOT_LANGUAGE, target)]
    missing = [hop for hop in hops if hop not in pairs]
    names = " and ".join(f"{a}→{b}" for a, b in missing)
    return ModelMissingError(
        f"No model for {direct}: install {names} (or a direct {direct} package)",
        source,
        target,
        tuple(f"{a}-{b}" for a, b in missing),
    )
