"""Length buckets and batch plans for CTranslate2: pure functions, no model needed.

A sentence's decoding bound comes from its length bucket, not from the longest sentence of
its batch, so its output does not depend on which sentences share the batch (random-weight
models always run to the bound), while buckets stay wide enough to fill batches.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

#: CTranslate2 truncates longer inputs; bounds use the same cap.
MAX_INPUT_TOKENS = 1024


def _bucket_ceilings(limit: int, growth: float = 1.08) -> list[int]:
    ceilings = list(range(1, 9))
    while ceilings[-1] < limit:
        ceilings.append(max(ceilings[-1] + 1, math.ceil(ceilings[-1] * growth)))
    return ceilings


_BUCKETS = _bucket_ceilings(MAX_INPUT_TOKENS)


def length_bucket(tokens: int) -> int:
    """The smallest bucket ceiling >= ``tokens``: exact up to 8, then steps of ~8%."""
    return _BUCKETS[bisect.bisect_left(_BUCKETS, max(1, tokens))]


def plan_batches(lengths: Sequence[int], max_batch_size: int, replicas: int) -> list[list[int]]:
    """Group sentence indexes (by token count; 0 = skip) into batches of one length bucket.

    One bucket means one decoding bound per batch. Big buckets are cut into
    ``max_batch_size`` pieces and, for small requests, the biggest batch is halved until
    there is one batch per CTranslate2 replica, so both cores work on a 3-sentence job.
    Batches come longest first: replicas take them in submission order, so the slowest
    batch starts at once instead of waiting behind short ones (a 3-sentence summary's
    latency is its longest sentence, not the sum of the queue in front of it).
    """
    groups: dict[int, list[int]] = {}
    todo = sorted((i for i, n in enumerate(lengths) if n > 0), key=lambda i: lengths[i])
    for index in todo:
        groups.setdefault(length_bucket(lengths[index]), []).append(index)
    batches: list[list[int]] = []
    for group in groups.values():
        batches.extend(_split_evenly(group, math.ceil(len(group) / max(1, max_batch_size))))
    while len(batches) < min(replicas, len(todo)):
        biggest = max(batches, key=len)
        batches.remove(biggest)
        batches.extend(_split_evenly(biggest, 2))
    batches.sort(key=lambda batch: (-lengths[batch[-1]], -len(batch)))
    return batches


def _split_evenly(items: list[int], pieces: int) -> list[list[int]]:
    size, extra = divmod(len(items), pieces)
    result, start = [], 0
    for n in range(pieces):
        end = start + size + (1 if n < extra else 0)
        result.append(items[start:end])
        start = end
    return result
