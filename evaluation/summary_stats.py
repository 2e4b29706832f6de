"""The dev/test split of the summary sets and the statistics reported on each part.

The split is by article id, so it is the same on every run and machine: within each set the
articles are ordered by the SHA-256 of their id, and every second one (positions 1, 3, 5…)
is in ``test``, the others in ``dev``; both parts get half of each set. Tuning
(``translation/text/summarization.py``) looks only at ``dev``; the README quotes ``test``.
The gap to Lead-3 comes with a percentile bootstrap interval over articles (fixed seed),
because ten or twenty articles are too few for a mean alone to mean much.
"""

from __future__ import annotations

import hashlib
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

PARTS = ("dev", "test")
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 18
CONFIDENCE = 0.95


def split_parts(case_ids: Sequence[str]) -> dict[str, str]:
    """Each id's part, ``"dev"`` or ``"test"``: alternate along the ids' SHA-256 order."""
    ordered = sorted(case_ids, key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest())
    return {case_id: PARTS[position % 2] for position, case_id in enumerate(ordered)}


@dataclass(frozen=True)
class Gap:
    """Mean paired difference (system minus baseline) and its bootstrap interval, in points."""

    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.mean:+.2f} [{self.low:+.2f}, {self.high:+.2f}]"


def paired_gap(system: Sequence[float], baseline: Sequence[float]) -> Gap:
    """Mean of ``system - baseline`` per article, with a 95% percentile bootstrap interval."""
    if len(system) != len(baseline):
        raise ValueError("paired scores must have the same length")
    diffs = [100 * (a - b) for a, b in zip(system, baseline, strict=True)]
    if not diffs:
        return Gap(0.0, 0.0, 0.0)
    rng = random.Random(BOOTSTRAP_SEED)
    n = len(diffs)
    means = sorted(statistics.fmean(rng.choices(diffs, k=n)) for _ in range(BOOTSTRAP_SAMPLES))
    tail = (1 - CONFIDENCE) / 2
    low = means[int(tail * BOOTSTRAP_SAMPLES)]
    high = means[min(BOOTSTRAP_SAMPLES - 1, int((1 - tail) * BOOTSTRAP_SAMPLES))]
    return Gap(statistics.fmean(diffs), low, high)
