"""Length buckets and batch plans for CTranslate2: pure functions, no model needed.

A sentence's decoding bound comes from its length bucket, not from the longest sentence of
its batch, so in a batch of one bucket its output does not depend on which sentences share the
batch (random-weight models always run to the bound), while buckets stay wide enough to fill
batches. Small requests (a summary) are the exception: see ``plan_batches``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

#: CTranslate2 truncates longer inputs; bounds use the same cap.
MAX_INPUT_TOKENS = 1024
#: Bucket ceilings grow by this factor past 8 tokens. Wider buckets fill batches (more sentences
#: share a bound, within a request and across requests) at the cost of a looser bound: 300
#: WMT21 sentences, base package, CPU time against plain sorted batches of 32: growth 1.08 (30
#: batches) 1.03x, 1.16 (20) 1.05x, 1.25 (17) 1.12x, 1.35 (15) 1.10x. Part of the memory key.
BUCKET_GROWTH = 1.25
#: Up to this many sentences a request is latency-bound, not throughput-bound (see plan_batches).
SMALL_REQUEST_SENTENCES = 8


def _bucket_ceilings(limit: int, growth: float = BUCKET_GROWTH) -> list[int]:
    ceilings = list(range(1, 9))
    while ceilings[-1] < limit:
        ceilings.append(max(ceilings[-1] + 1, math.ceil(ceilings[-1] * growth)))
    return ceilings


_BUCKETS = _bucket_ceilings(MAX_INPUT_TOKENS)


def length_bucket(tokens: int) -> int:
    """The smallest bucket ceiling >= ``tokens``: exact up to 8, then steps of ~25%."""
    return _BUCKETS[bisect.bisect_left(_BUCKETS, max(1, tokens))]


def plan_batches(lengths: Sequence[int], max_batch_size: int, replicas: int) -> list[list[int]]:
    """Group sentence indexes (by token count; 0 = skip) into batches of one length bucket.

    One bucket means one decoding bound per batch. Big buckets are cut into
    ``max_batch_size`` pieces and, for small requests, the biggest batch is halved until
    there is one batch per CTranslate2 replica, so both cores work on a 3-sentence job.
    Batches come longest first: replicas take them in submission order, so the slowest
    batch starts at once instead of waiting behind short ones.

    A small request (a summary: up to ``SMALL_REQUEST_SENTENCES``) with more buckets than
    replicas gets exactly one batch per replica instead: the longest sentences alone, the rest
    together, so its latency is its longest sentence rather than two shorter ones decoded one
    after the other (seed article, en + fr: 1.56 s -> 1.29 s). The shared batch decodes to its
    longest member's bound and the engine cuts each output to its own bound, so every bound
    still holds; only a model that runs to the bound (random weights) can then give a sentence
    a different output than it would get in its own bucket.
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
    if len(batches) > replicas and len(todo) <= SMALL_REQUEST_SENTENCES:
        alone, rest = batches[: replicas - 1], batches[replicas - 1 :]
        shared = sorted((i for batch in rest for i in batch), key=lambda i: lengths[i])
        batches = [*alone, shared]
    return batches


def _split_evenly(items: list[int], pieces: int) -> list[list[int]]:
    size, extra = divmod(len(items), pieces)
    result, start = [], 0
    for n in range(pieces):
        end = start + size + (1 if n < extra else 0)
        result.append(items[start:end])
        start = end
    return result
