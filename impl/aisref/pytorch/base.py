"""The two base datasets, and the listing they share.

Listing happens **once, when the dataset is constructed**, in the constructing process: one
paged list-objects walk per (source, prefix), i.e. ``ceil(N / page size)`` requests for N
objects (page size up to 10,000), and a few hundred bytes of memory per object (an
``Object`` with its name and listed size). Every DataLoader worker then
receives that list with the dataset (copied by fork, or pickled under spawn), so a bucket is
listed once per dataset (once per rank under torchrun), never once per worker or per epoch.
The list is a snapshot: call :meth:`AISBaseIterDataset.refresh` (one more listing) to see
objects added since. With ``partition_sources_by_worker=True`` the iterable datasets list
nothing at construction; each DataLoader worker lists its own share of the sources instead.

Sources may be aisref's or the official SDK's (rebuilt on an aisref client, see
:mod:`aisref.pytorch.official_sources`). Datasets install a
:class:`~aisref.pytorch.WorkerRequestClient` on each aisref source themselves
(``source.client = WorkerRequestClient(source.client)``), so ``num_workers > 0`` works
without further set-up; the user's aisref source objects are updated in place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from torch.utils.data import Dataset, IterableDataset

from aisref.client import Object
from aisref.pytorch.partition import (
    CarriesRankToWorkers,
    PartitionError,
    RankSplit,
    ReaderSlot,
    rank_share,
    reader_ranges,
    take,
)
from aisref.pytorch.source_list import (
    DatasetSources,
    PrefixMap,
    SourceList,
    etl_config,
    install_worker_clients,
    prefixes_for,
)

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "AISBaseIterDataset",
    "AISBaseMapDataset",
    "PrefixMap",
    "SourceList",
    "etl_config",
    "install_worker_clients",
    "prefixes_for",
]


class AISBaseMapDataset(ABC, Dataset[T_co]):
    """Base for map-style datasets over AIS objects; subclasses implement ``__getitem__``.

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.

    The object list is made at construction (see module docs for its cost);
    ``len(dataset)`` is then O(1).
    """

    def __init__(
        self, ais_source_list: SourceList | None, prefix_map: PrefixMap | None = None
    ) -> None:
        self._sources = DatasetSources.of(ais_source_list, prefix_map, type(self).__name__)
        self._sources.install_worker_clients()
        self._obj_list = self._sources.list_objects()

    def get_obj_list(self) -> list[Object]:
        """The objects this dataset indexes, in index order."""
        return self._obj_list

    def __len__(self) -> int:
        """Number of objects (O(1); listed at construction)."""
        return len(self._obj_list)

    @abstractmethod
    def __getitem__(self, index: int) -> T_co: ...

    def __getitems__(self, indices: Sequence[int]) -> list[T_co]:
        """A batch of samples, in the order of ``indices``."""
        return [self[index] for index in indices]


def worker_name(slot: ReaderSlot) -> str:
    """The official suffix for progress titles: ``" (Worker 2)"``, or ``""`` for a sole reader.

    With several ranks the rank is named too: ``" (Rank 1, Worker 2)"``, ``" (Rank 1)"``.
    """
    parts = [f"Rank {slot.rank}"] if slot.world_size > 1 else []
    if slot.num_workers > 1:
        parts.append(f"Worker {slot.worker_id}")
    return f" ({', '.join(parts)})" if parts else ""


class AISBaseIterDataset(CarriesRankToWorkers, ABC, IterableDataset[T_co]):
    """Base for iterable datasets over AIS objects; subclasses implement ``__iter__``.

    Work is split over distributed ranks, then DataLoader workers (see
    :mod:`aisref.pytorch.partition`): every rank gets the same number of samples, each sample
    read once per epoch apart from the padding that makes the counts equal.

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.
        partition_sources_by_worker: give each DataLoader worker whole sources (worker ``w``
            of ``W`` takes sources ``w, w + W, ...``), which it lists itself when it starts
            reading; nothing is listed at construction. For many sources, as many as
            workers or more. One rank only (or ``split_by_rank=False``): sources hold
            different numbers of objects, so ranks could not get equal counts.
        split_by_rank: split over torch.distributed ranks (default). False: every rank reads
            everything (still split over its DataLoader workers); for users who give each
            rank its own sources or prefixes.
        drop_last: with several ranks, drop the last (fewer than world size) samples to make
            the counts equal, instead of padding by reading the first ones again.

    Rank and world size come from torch.distributed when it is initialised, else from the
    RANK and WORLD_SIZE environment variables; spawned DataLoader workers get the main
    process's values with the dataset.

    Subclass hooks, as the official base has them: :meth:`_reset_iterator` sets
    ``_obj_iterator`` to the dataset's objects; :meth:`_get_worker_iter_info` gives the
    calling reader its share of them and a name for progress titles.
    """

    def __init__(
        self,
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        self._sources = DatasetSources.of(ais_source_list, prefix_map, type(self).__name__)
        self._rank_split = RankSplit(split_by_rank=split_by_rank, drop_last=drop_last)
        self._partition_sources_by_worker = partition_sources_by_worker
        self._obj_iterator: Iterator[Object] | None = None
        self._listed: list[Object] | None = None
        self._sources.install_worker_clients()
        if partition_sources_by_worker:
            self._check_partition_ranks(self._rank_split.ranks()[1])
        else:
            self._listed = self._sources.list_objects()

    @property
    def _obj_list(self) -> list[Object]:
        """Every object of the dataset, in listing order (listed on first use when the
        sources are partitioned by worker)."""
        if self._listed is None:
            self._listed = self._sources.list_objects()
        return self._listed

    def refresh(self) -> None:
        """List the sources again (one listing), e.g. between epochs to see new objects."""
        self._listed = None if self._partition_sources_by_worker else self._sources.list_objects()

    def get_obj_list(self) -> list[Object]:
        """Every object of the dataset, over all readers, in listing order."""
        return self._obj_list

    def _check_partition_ranks(self, world_size: int) -> None:
        if world_size > 1:
            raise PartitionError(
                f"{type(self).__name__}: partition_sources_by_worker=True gives each "
                f"DataLoader worker whole sources, so the {world_size} ranks would read "
                "different numbers of samples (DDP then waits forever in an all-reduce). "
                "Pass split_by_rank=False and give each rank its own sources, or leave "
                "partition_sources_by_worker off (aisref lists once per rank, not per worker)"
            )

    def _listing_for_reader(self, slot: ReaderSlot) -> tuple[list[Object], ReaderSlot]:
        """The objects to split for reader ``slot``, and the slot to split them with.

        Normally every object of the dataset, split by ``slot``. With
        ``partition_sources_by_worker`` and several workers: a new listing of this worker's
        own sources, all of which it reads (a slot of one reader).
        """
        if not self._partition_sources_by_worker or slot.num_workers == 1:
            return self._obj_list, slot
        self._check_partition_ranks(slot.world_size)
        share = self._sources.sources[slot.worker_id :: slot.num_workers]
        return self._sources.list_objects(share), ReaderSlot()

    def _objects_for_this_reader(self) -> tuple[list[Object], ReaderSlot]:
        """The objects the calling reader reads, in order, and its slot."""
        slot = self._rank_split.reader_slot()
        objects, split_slot = self._listing_for_reader(slot)
        ranges = reader_ranges(len(objects), split_slot, self._rank_split.drop_last)
        return take(objects, ranges), slot

    def _all_objects(self) -> Iterator[Object]:
        yield from self._obj_list  # a generator: nothing is listed until it is first read

    def _reset_iterator(self) -> None:
        """Official hook: set ``_obj_iterator`` to every object of the dataset, from the start.

        Unlike the official, this lists nothing again (the listing is a snapshot; see
        :meth:`refresh`).
        """
        self._obj_iterator = self._all_objects()

    def _get_worker_iter_info(self) -> tuple[Iterator[Object], str]:
        """Official hook: the calling reader's objects and its name for progress titles.

        The objects are this reader's share of ``_obj_iterator`` (set by
        :meth:`_reset_iterator`, or by a subclass): split over ranks, then workers, as
        :mod:`aisref.pytorch.partition` describes. With ``partition_sources_by_worker`` and
        several workers, the worker's own sources, listed now. The name is ``""`` for a
        sole reader, else e.g. ``" (Worker 2)"``.
        """
        slot = self._rank_split.reader_slot()
        if self._partition_sources_by_worker and slot.num_workers > 1:
            objects, _ = self._listing_for_reader(slot)
            return iter(objects), worker_name(slot)
        if self._obj_iterator is None:
            self._reset_iterator()
        assert self._obj_iterator is not None
        everything = list(self._obj_iterator)
        mine = take(everything, reader_ranges(len(everything), slot, self._rank_split.drop_last))
        return iter(mine), worker_name(slot)

    def __len__(self) -> int:
        """Number of objects this rank reads per epoch, over all its DataLoader workers.

        O(1) once listed; equal on every rank. Unlike the official dataset, this does not
        iterate (or read) the dataset.
        """
        _, world_size = self._rank_split.ranks()
        return rank_share(len(self._obj_list), world_size, self._rank_split.drop_last)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_obj_iterator"] = None  # a generator does not pickle; readers reset it
        return state

    @abstractmethod
    def __iter__(self) -> Iterator[T_co]: ...


def checked_index(index: int, size: int, owner: str, what: str) -> int:
    """``index`` when it is a valid (possibly negative) index of ``size`` items, else an
    IndexError naming the dataset (``owner``), the items (``what``) and the valid range."""
    if not -size <= index < size:
        raise IndexError(
            f"{owner} index {index} is out of range: the dataset has {size} {what} "
            f"(valid indices 0..{size - 1})"
        )
    return index
