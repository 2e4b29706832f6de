"""At most one full translation per message and language: later presses of the same button
learn that one is running or already posted instead of starting another."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Literal

OnceState = Literal["running", "posted"]


class OnceLedger:
    """In-memory claims on keys, newest ``capacity`` remembered (a restart forgets them, so an
    old message's button works again; that costs one extra translation at most)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._states: OrderedDict[Hashable, OnceState] = OrderedDict()

    def claim(self, key: Hashable) -> OnceState | None:
        """None and the key is now "running"; or the state of the earlier claim."""
        state = self._states.get(key)
        if state is not None:
            return state
        self._states[key] = "running"
        while len(self._states) > self.capacity:
            self._states.popitem(last=False)
        return None

    def settle(self, key: Hashable, *, posted: bool) -> None:
        """The claimed work ended: posted (later claims are told so) or not (may be retried)."""
        if posted:
            self._states[key] = "posted"
        else:
            self._states.pop(key, None)
