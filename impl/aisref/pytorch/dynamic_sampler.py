"""DynamicBatchSampler: batches of dataset indices that fit a byte budget.

The batches are those of the official ``aistore.pytorch.DynamicBatchSampler`` 2.0.0 for the
same dataset, including its edge rules:

- ``max_batch_size`` is in **bytes** (the official docstring says so and its code compares it
  with object sizes in bytes), compared with the objects' listed sizes.
- Samples are added while the running total stays *below* the budget; a sample that makes it
  exactly the budget closes the batch with it; one that would pass it closes the batch
  without it and starts the next.
- A 0-byte sample is skipped with a warning; a sample above the budget is skipped with a
  warning, or yielded alone with ``allow_oversized_samples=True``.
- The last batch is kept unless ``drop_last=True``, which keeps it only when its total is
  *more than* ``saturation_factor`` of the budget.
- ``shuffle=True`` draws ``torch.randperm(len(dataset))`` from torch's global generator and
  visits it from its end, as the official does: ``torch.manual_seed(s)`` before iterating
  gives the official's batches for the same seed.
- ``len(sampler)`` is the number of samples, not of batches, as the official's.

Sizes come from the listing made when the dataset was built (a Bucket listing carries them);
objects listed without a size (an ObjectGroup) get one HEAD each, once, at construction
(the official sends those HEADs on every iteration).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import Sampler

from aisref.client import Object
from aisref.pytorch.base import AISBaseMapDataset

SATURATION_FACTOR = 0.8  # share of the budget the last batch needs to be kept with drop_last
logger = logging.getLogger(__name__)


def object_sizes(objects: Sequence[Object]) -> list[int]:
    """Each object's size in bytes: the listed one, else one HEAD."""
    sizes = []
    for obj in objects:
        size = obj.props_cached.size
        if size is None:
            size = obj.head().size
        if size is None:
            raise ValueError(f"{obj.uname}: neither its listing nor a HEAD gave its size")
        sizes.append(size)
    return sizes


def dynamic_batches(
    sizes: Sequence[int],
    order: Iterable[int],
    max_batch_size: float,
    drop_last: bool,
    allow_oversized_samples: bool,
    saturation_factor: float,
    names: Sequence[str] = (),
) -> Iterator[list[int]]:
    """Batches of indices, visiting them in ``order``, under the rules in the module notes.

    ``names`` (parallel to ``sizes``) only label the warnings about skipped samples.
    """
    batch: list[int] = []
    total = 0
    for index in order:
        size = sizes[index]
        name = names[index] if names else f"#{index}"
        if size == 0:
            logger.warning("Sample %s cannot be processed as it has a size of 0 bytes", name)
            continue
        if size > max_batch_size:
            if allow_oversized_samples:
                yield [index]
            else:
                logger.warning(
                    "Sample %s cannot be processed as it is larger than the max batch size: "
                    "%d bytes > %d bytes",
                    name,
                    size,
                    max_batch_size,
                )
            continue
        if total + size > max_batch_size:
            yield batch  # never empty here: alone, the sample fits
            batch, total = [], 0
        batch.append(index)
        total += size
        if total == max_batch_size:
            yield batch
            batch, total = [], 0
    if (batch and not drop_last) or (drop_last and total / max_batch_size > saturation_factor):
        yield batch


class DynamicBatchSampler(Sampler[list[int]]):
    """Yields lists of indices of ``data_source`` whose objects together stay within
    ``max_batch_size`` bytes (see the module notes for the exact rules).

    Args:
        data_source: the map-style dataset to sample from.
        max_batch_size: most bytes per batch (object sizes as listed).
        drop_last: drop the last batch unless it is more than ``saturation_factor`` full.
        allow_oversized_samples: yield a sample above ``max_batch_size`` alone instead of
            skipping it.
        saturation_factor: in [0, 1]; see ``drop_last``.
        shuffle: visit the samples in a random order drawn from torch's global generator.
    """

    def __init__(
        self,
        data_source: AISBaseMapDataset[Any],
        max_batch_size: float,
        drop_last: bool = False,
        allow_oversized_samples: bool = False,
        saturation_factor: float = SATURATION_FACTOR,
        shuffle: bool = False,
    ) -> None:
        super().__init__()
        if not 0 <= saturation_factor <= 1:
            raise ValueError(f"saturation_factor must be between 0 and 1, got {saturation_factor}")
        if not max_batch_size > 0:
            raise ValueError(f"max_batch_size must be > 0 bytes, got {max_batch_size}")
        objects = data_source.get_obj_list()
        self._data_source = data_source
        self._max_batch_size = max_batch_size
        self._drop_last = drop_last
        self._allow_oversized_samples = allow_oversized_samples
        self._saturation_factor = saturation_factor
        self._shuffle = shuffle
        self._sizes = object_sizes(objects)
        self._names = [obj.name for obj in objects]

    def _order(self) -> Iterable[int]:
        if not self._shuffle:
            return range(len(self._sizes))
        # The official pops from the end of the permutation.
        return reversed(torch.randperm(len(self._sizes)).tolist())

    def __iter__(self) -> Iterator[list[int]]:
        # A generator, so the permutation is drawn at the first batch, as the official's.
        yield from dynamic_batches(
            self._sizes,
            self._order(),
            self._max_batch_size,
            self._drop_last,
            self._allow_oversized_samples,
            self._saturation_factor,
            self._names,
        )

    def __len__(self) -> int:
        """The number of samples (not batches), as the official sampler's."""
        return len(self._sizes)
