"""Sentence-level translation memory: a sentence translated once is never decoded again.

The engine asks its memory before decoding a hop and tells it what it decoded. Entries are
keyed by a model key (package path, version and model file identity, plus every option that
changes an output) and the exact source sentence, so a package upgrade or a different beam
size simply misses. Outputs do not depend on batch composition (see ``batching``), so a
remembered translation is the one the engine would produce again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Remembered:
    """One decoded sentence: its text and how many target tokens the model produced."""

    text: str
    tokens: int


class TranslationMemory(Protocol):
    """The engine's port for remembered sentences (in memory, SQLite, or both)."""

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        """The remembered translations among ``sources`` (misses are simply absent)."""
        ...

    def remember(self, model: str, entries: Mapping[str, Remembered]) -> None:
        """Store freshly decoded sentences."""
        ...


class LruTranslationMemory:
    """A bounded, thread-safe in-process memory: the least recently used entries go first."""

    def __init__(self, max_entries: int = 20_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        found: dict[str, Remembered] = {}
        with self._lock:
            for source in sources:
                entry = self._entries.get((model, source))
                if entry is not None:
                    self._entries.move_to_end((model, source))
                    found[source] = entry
        return found

    def remember(self, model: str, entries: Mapping[str, Remembered]) -> None:
        with self._lock:
            for source, entry in entries.items():
                self._entries[(model, source)] = entry
                self._entries.move_to_end((model, source))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class LayeredTranslationMemory:
    """A fast memory in front of a slower, larger one (the LRU before the SQLite store).

    Hits from the back layer are copied to the front; new entries go to both.
    """

    def __init__(self, front: TranslationMemory, back: TranslationMemory) -> None:
        self.front = front
        self.back = back

    def recall(self, model: str, sources: Iterable[str]) -> dict[str, Remembered]:
        wanted = list(dict.fromkeys(sources))
        found = self.front.recall(model, wanted)
        missing = [source for source in wanted if source not in found]
        if missing:
            behind = self.back.recall(model, missing)
            if behind:
                self.front.remember(model, behind)
                found.update(behind)
        return found

    def remember(self, model: str, entries: Mapping[str, Remembered]) -> None:
        self.front.remember(model, entries)
        self.back.remember(model, entries)
