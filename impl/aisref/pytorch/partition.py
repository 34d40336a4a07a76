"""Who reads what: splitting an item sequence over distributed ranks x DataLoader workers.

Every reader (one DataLoader worker of one rank) owns one *slot*. Slots are numbered
``rank * num_workers + worker_id`` and item ``i`` belongs to slot ``i % slot_count``, so over all
slots every item is read exactly once and slot sizes differ by at most one.

Rank and world size are read in one place, :func:`current_slot`, and passed on as values; the
splitting itself is a pure function of those values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from torch.utils.data import get_worker_info

T = TypeVar("T")


class PartitionError(ValueError):
    """Rank, world size or worker numbers that cannot describe a reader."""


@dataclass(frozen=True)
class ReaderSlot:
    """One reader's place among ``world_size`` ranks x ``num_workers`` DataLoader workers."""

    rank: int = 0
    world_size: int = 1
    worker_id: int = 0
    num_workers: int = 1

    def __post_init__(self) -> None:
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise PartitionError(
                f"rank {self.rank} is not in [0, world_size={self.world_size}); "
                "check RANK and WORLD_SIZE"
            )
        if self.num_workers < 1 or not 0 <= self.worker_id < self.num_workers:
            raise PartitionError(
                f"worker_id {self.worker_id} is not in [0, num_workers={self.num_workers})"
            )

    @property
    def index(self) -> int:
        """This slot's number in ``[0, count)``."""
        return self.rank * self.num_workers + self.worker_id

    @property
    def count(self) -> int:
        """Number of slots: ranks x workers."""
        return self.world_size * self.num_workers

    @property
    def label(self) -> str:
        """Short human label, e.g. ``"rank 1/2 worker 0/4"``."""
        return f"rank {self.rank}/{self.world_size} worker {self.worker_id}/{self.num_workers}"


def rank_and_world_size(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Return ``(rank, world_size)`` of this process.

    torch.distributed wins when it is initialised; otherwise the ``RANK`` and ``WORLD_SIZE``
    environment variables (as set by torchrun); otherwise ``(0, 1)``.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    environ = os.environ if env is None else env
    try:
        rank = int(environ.get("RANK", "0"))
        world_size = int(environ.get("WORLD_SIZE", "1"))
    except ValueError as exc:
        raise PartitionError(
            f"RANK={environ.get('RANK')!r} / WORLD_SIZE={environ.get('WORLD_SIZE')!r} "
            "must be integers"
        ) from exc
    return rank, world_size


def current_slot(env: Mapping[str, str] | None = None) -> ReaderSlot:
    """The slot of the calling process: its rank, and its DataLoader worker if it is one."""
    rank, world_size = rank_and_world_size(env)
    info = get_worker_info()
    if info is None:
        return ReaderSlot(rank=rank, world_size=world_size)
    return ReaderSlot(rank, world_size, worker_id=info.id, num_workers=info.num_workers)


def slot_items(items: Sequence[T], slot: ReaderSlot) -> Sequence[T]:
    """The items that ``slot`` reads: every ``slot.count``-th item starting at ``slot.index``."""
    return items[slot.index :: slot.count]


def slot_stream(items: Iterable[T], slot: ReaderSlot) -> Iterator[T]:
    """Like :func:`slot_items` for a stream whose length is unknown (reads the whole stream)."""
    return islice(items, slot.index, None, slot.count)
