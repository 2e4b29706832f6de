"""Batch plans: every sentence once, one length bucket per batch, both replicas busy."""

from __future__ import annotations

import random

import pytest

from translation.models.batching import (
    MAX_INPUT_TOKENS,
    SMALL_REQUEST_SENTENCES,
    length_bucket,
    plan_batches,
)


def test_buckets_are_exact_for_short_inputs_and_tight_for_long_ones() -> None:
    assert [length_bucket(n) for n in range(1, 9)] == list(range(1, 9))
    for tokens in range(1, MAX_INPUT_TOKENS + 1):
        assert tokens <= length_bucket(tokens) <= max(tokens + 1, tokens * 1.26)
    assert length_bucket(0) == 1


@pytest.mark.parametrize("seed", range(5))
def test_plan_covers_each_sentence_once_within_limits(seed: int) -> None:
    rng = random.Random(seed)
    lengths = [rng.choice([0, rng.randint(1, 120)]) for _ in range(rng.randint(1, 300))]
    batches = plan_batches(lengths, max_batch_size=16, replicas=2)
    planned = [index for batch in batches for index in batch]
    assert sorted(planned) == [i for i, n in enumerate(lengths) if n > 0]
    small = len(planned) <= SMALL_REQUEST_SENTENCES
    for batch in batches:
        assert 1 <= len(batch) <= 16
        assert small or len({length_bucket(lengths[i]) for i in batch}) == 1
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)


def test_small_requests_are_spread_over_the_replicas() -> None:
    assert plan_batches([12, 12, 12], max_batch_size=32, replicas=2) in (
        [[1, 2], [0]],
        [[0, 1], [2]],
    )
    assert len(plan_batches([12, 12, 12, 12], max_batch_size=32, replicas=2)) == 2
    assert plan_batches([5], max_batch_size=32, replicas=2) == [[0]]
    assert plan_batches([0, 0], max_batch_size=32, replicas=2) == []


def test_longest_batches_are_submitted_first() -> None:
    """Replicas work in submission order: the longest sentence must not wait in line."""
    lengths = [5, 40, 9, 0, 40, 7, 120, *range(10, 50, 4)]
    assert len(lengths) - 1 > SMALL_REQUEST_SENTENCES
    batches = plan_batches(lengths, max_batch_size=32, replicas=2)
    longest = [max(lengths[i] for i in batch) for batch in batches]
    assert longest == sorted(longest, reverse=True)
    assert batches[0] == [6]


def test_a_small_request_gets_one_batch_per_replica_longest_alone() -> None:
    """A summary's latency is its longest sentence, not two shorter ones one after the other."""
    assert plan_batches([30, 60, 12, 0, 45], max_batch_size=32, replicas=2) == [[1], [2, 0, 4]]
    assert plan_batches([30, 60, 12], max_batch_size=32, replicas=3) == [[1], [0], [2]]
    assert plan_batches([30, 60, 12], max_batch_size=32, replicas=1) == [[2, 0, 1]]
    many = [10 + 7 * i for i in range(SMALL_REQUEST_SENTENCES + 1)]
    assert len(plan_batches(many, max_batch_size=32, replicas=2)) > 2  # throughput: buckets
