"""DynamicBatchSampler: the official 2.0.0 sampler's batches, rule by rule and on random data.

The official sampler only calls ``get_obj_list()`` and reads ``name`` / ``props_cached.size``
of each object, so both run here over the same in-memory stand-in of a listed dataset.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from aisref.pytorch.dynamic_sampler import DynamicBatchSampler, dynamic_batches


class ListedDataset:
    """What both samplers read of a map dataset: its listed objects with their sizes."""

    def __init__(self, sizes: list[int]) -> None:
        self._objects = [
            SimpleNamespace(name=f"obj-{i}", props_cached=SimpleNamespace(size=size))
            for i, size in enumerate(sizes)
        ]

    def get_obj_list(self) -> list[Any]:
        return self._objects


def official_batches(sizes: list[int], **kwargs: Any) -> list[list[int]]:
    from aistore.pytorch import DynamicBatchSampler as Official

    return list(Official(ListedDataset(sizes), **kwargs))


def our_batches(sizes: list[int], **kwargs: Any) -> list[list[int]]:
    return list(DynamicBatchSampler(ListedDataset(sizes), **kwargs))  # type: ignore[arg-type]


def test_a_sample_that_fills_the_budget_exactly_closes_the_batch_with_it() -> None:
    assert list(dynamic_batches([4, 6, 5], range(3), 10, False, False, 0.8)) == [[0, 1], [2]]
    # at once: before the oversized sample that follows is yielded alone
    assert list(dynamic_batches([4, 6, 20], range(3), 10, False, True, 0.8)) == [[0, 1], [2]]


def test_a_sample_that_would_pass_the_budget_starts_the_next_batch() -> None:
    assert list(dynamic_batches([4, 7, 5], range(3), 10, False, False, 0.8)) == [[0], [1], [2]]


def test_oversized_samples_are_skipped_or_yielded_alone() -> None:
    assert list(dynamic_batches([3, 20, 3], range(3), 10, False, False, 0.8)) == [[0, 2]]
    assert list(dynamic_batches([3, 20, 3], range(3), 10, False, True, 0.8)) == [[1], [0, 2]]


def test_empty_samples_are_skipped() -> None:
    assert list(dynamic_batches([0, 3, 0], range(3), 10, False, False, 0.8)) == [[1]]


def test_drop_last_keeps_the_last_batch_only_when_more_than_saturated() -> None:
    assert list(dynamic_batches([9, 8], range(2), 10, True, False, 0.8)) == [[0]]
    assert list(dynamic_batches([9, 9], range(2), 10, True, False, 0.8)) == [[0], [1]]


def test_len_is_the_number_of_samples_as_the_official() -> None:
    sizes = [5, 5, 5, 5]
    official = __import__("aistore.pytorch", fromlist=["DynamicBatchSampler"])
    assert len(DynamicBatchSampler(ListedDataset(sizes), 10)) == 4  # type: ignore[arg-type]
    assert len(official.DynamicBatchSampler(ListedDataset(sizes), 10)) == 4


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_saturation_factor_outside_0_1_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="saturation_factor"):
        DynamicBatchSampler(ListedDataset([1]), 10, saturation_factor=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_same_batches_as_the_official_on_random_datasets(seed: int) -> None:
    rng = random.Random(seed)
    if seed % 2:  # small sizes: batches often fill the budget exactly
        sizes = [rng.randrange(0, 12) for _ in range(60)]
        budget: float = rng.choice([10, 12, 20])
    else:
        sizes = [rng.choice([0, rng.randrange(1, 50), rng.randrange(50, 300)]) for _ in range(60)]
        budget = rng.choice([100, 150, 200, 250.5])
    kwargs: dict[str, Any] = {
        "max_batch_size": budget,
        "drop_last": rng.random() < 0.5,
        "allow_oversized_samples": rng.random() < 0.5,
        "saturation_factor": rng.choice([0.0, 0.5, 0.8, 1.0]),
        "shuffle": rng.random() < 0.5,
    }
    torch.manual_seed(seed)
    official = official_batches(sizes, **kwargs)
    torch.manual_seed(seed)
    ours = our_batches(sizes, **kwargs)
    assert ours == official
    assert official  # the data always gives at least one batch: the comparison is not vacuous
