"""Who reads what: a dataset's samples split over distributed ranks, then DataLoader workers.

A dataset's N samples have positions ``0..N-1`` (listing order). Each reader (one DataLoader
worker of one rank) reads contiguous ranges of positions, chosen in two steps:

1. **Ranks get equal counts**, as torch's ``DistributedSampler`` gives them (without
   shuffling). Under DDP a rank with one more batch than another waits forever in its
   all-reduce, so equal counts are the default. With R ranks every rank gets T samples:

   - default, padding: ``T = ceil(N / R)``; the ``R*T - N`` (fewer than R) samples missing
     are the first samples of the dataset again, read a second time by the last rank(s);
   - ``drop_last=True``: ``T = floor(N / R)``; the last ``N - R*T`` (fewer than R) samples
     are not read this epoch.

   Rank r reads positions ``r*T .. r*T + T - 1``, taken modulo N (that is the padding).
2. **Workers** cut their rank's T positions into ``num_workers`` contiguous pieces whose sizes
   depend only on T and ``num_workers`` (the first ``T % num_workers`` are one longer). Every
   rank's workers therefore hold the same counts and make the same number of batches.

Ranges rather than every R-th sample so that a reader of tar shards touches as few shards as
possible (see :mod:`aisref.pytorch.shard_spans`).

Rank and world size are read in one place, :meth:`RankSplit.ranks`, and passed on as values;
the splitting itself is a pure function of those values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

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


# -- how many, and which positions ---------------------------------------------------------


def rank_share(n_items: int, world_size: int, drop_last: bool = False) -> int:
    """Samples each of ``world_size`` ranks reads: ``ceil(N / R)``, or ``floor`` to drop."""
    return n_items // world_size if drop_last else -(-n_items // world_size)


def worker_piece(share: int, worker_id: int, num_workers: int) -> range:
    """Offsets, within its rank's ``share``, that worker ``worker_id`` reads."""
    base, longer = divmod(share, num_workers)
    start = worker_id * base + min(worker_id, longer)
    return range(start, start + base + (1 if worker_id < longer else 0))


def wrapped_ranges(first: int, length: int, n_items: int) -> tuple[range, ...]:
    """Positions ``first .. first + length - 1`` modulo ``n_items``, as ascending ranges."""
    ranges: list[range] = []
    start = first % n_items if n_items else 0
    while length > 0:
        taken = min(length, n_items - start)
        ranges.append(range(start, start + taken))
        length -= taken
        start = 0
    return tuple(ranges)


def reader_ranges(n_items: int, slot: ReaderSlot, drop_last: bool = False) -> tuple[range, ...]:
    """The positions in ``[0, n_items)`` that ``slot`` reads, in reading order.

    One range, or two when padding wraps around to the dataset's first samples (more when
    the dataset has fewer samples than ranks).
    """
    share = rank_share(n_items, slot.world_size, drop_last)
    piece = worker_piece(share, slot.worker_id, slot.num_workers)
    return wrapped_ranges(slot.rank * share + piece.start, len(piece), n_items)


def take(items: Sequence[T], ranges: Iterable[range]) -> list[T]:
    """The items at the positions of ``ranges``, in order."""
    return [item for span in ranges for item in items[span.start : span.stop]]


def slot_stream(items: Iterable[T], slot: ReaderSlot) -> Iterator[T]:
    """Every ``slot.count``-th item from ``slot.index``, for a stream of unknown length.

    Reads the whole stream; counts differ between slots by up to one, so use it only where
    the counts need not be equal (a single rank).
    """
    return islice(items, slot.index, None, slot.count)


# -- whose rank ------------------------------------------------------------------------------


def rank_and_world_size(
    env: Mapping[str, str] | None = None, carried: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Return ``(rank, world_size)`` of this process.

    In order: torch.distributed when it is initialised (also in a forked DataLoader worker,
    which inherits the process group); ``carried``, the main process's values brought along
    to a spawned worker; the ``RANK`` and ``WORLD_SIZE`` environment variables (as torchrun
    sets them); otherwise ``(0, 1)``.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if carried is not None:
        return carried
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


@dataclass(frozen=True)
class RankSplit:
    """How an iterable dataset splits its samples over ranks, and where it learns its rank.

    Attributes:
        split_by_rank: split over distributed ranks (default). False: every rank reads the
            whole dataset (split over its own DataLoader workers only), for a user who gives
            each rank its own sources or prefixes.
        drop_last: equal counts by dropping the last (fewer than R) samples instead of
            padding with the first ones; see the module docs.
        main_ranks: ``(rank, world_size)`` of the main process, captured when the dataset is
            pickled for a spawned or forkserver DataLoader worker, which has no process group
            (``init_process_group(rank=...)`` without RANK in the environment leaves it no
            other way to know). Used only inside DataLoader workers.
    """

    split_by_rank: bool = True
    drop_last: bool = False
    main_ranks: tuple[int, int] | None = None

    def for_workers(self) -> RankSplit:
        """A copy to pickle: carries the calling (main) process's rank and world size."""
        if get_worker_info() is not None:  # a worker passing itself on; keep what it got
            return self
        return replace(self, main_ranks=rank_and_world_size())

    def ranks(self) -> tuple[int, int]:
        """``(rank, world_size)`` that decide this process's share; ``(0, 1)`` if not split."""
        if not self.split_by_rank:
            return 0, 1
        in_worker = get_worker_info() is not None
        return rank_and_world_size(carried=self.main_ranks if in_worker else None)

    def reader_slot(self) -> ReaderSlot:
        """The calling reader's slot: its rank, and its DataLoader worker if it is one."""
        rank, world_size = self.ranks()
        info = get_worker_info()
        if info is None:
            return ReaderSlot(rank, world_size)
        return ReaderSlot(rank, world_size, worker_id=info.id, num_workers=info.num_workers)


class CarriesRankToWorkers:
    """Mixin for a dataset with a ``_rank_split``: pickles it with the main process's rank."""

    _rank_split: RankSplit

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_rank_split"] = self._rank_split.for_workers()
        return state
