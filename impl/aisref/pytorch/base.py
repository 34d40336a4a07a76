"""The two base datasets, and the listing they share.

Listing happens **once, when the dataset is constructed**, in the constructing process: one
paged list-objects walk per (source, prefix), i.e. ``ceil(N / page size)`` requests for N
objects (page size up to 10,000), and a few hundred bytes of memory per object (an
``Object`` with its name and listed size). Every DataLoader worker then
receives that list with the dataset (copied by fork, or pickled under spawn), so a bucket is
listed once per dataset (once per rank under torchrun), never once per worker or per epoch.
The list is a snapshot: call :meth:`AISBaseIterDataset.refresh` (one more listing) to see
objects added since.

Datasets install a :class:`~aisref.pytorch.WorkerRequestClient` on each source themselves
(``source.client = WorkerRequestClient(source.client)``), so ``num_workers > 0`` works without
further set-up; the user's source objects are updated in place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from torch.utils.data import Dataset, IterableDataset

from aisref.client import AISSource, ETLConfig, Object
from aisref.pytorch.partition import (
    CarriesRankToWorkers,
    RankSplit,
    ReaderSlot,
    rank_share,
    reader_ranges,
    take,
)
from aisref.pytorch.worker_client import WorkerRequestClient

T_co = TypeVar("T_co", covariant=True)

SourceList = AISSource | Sequence[AISSource]
PrefixMap = Mapping[AISSource, str | Sequence[str] | None]


def as_source_list(ais_source_list: SourceList, owner: str) -> list[AISSource]:
    """One source or a list of them, as a non-empty list."""
    sources = [ais_source_list] if isinstance(ais_source_list, AISSource) else list(ais_source_list)
    if not sources:
        raise ValueError(f"{owner}: ais_source_list is empty; pass a Bucket or a list of them")
    for source in sources:
        if not isinstance(source, AISSource):
            raise TypeError(
                f"{owner}: {source!r} is not an AISSource; pass Bucket objects "
                "(e.g. Client(endpoint).bucket(name))"
            )
    return sources


def prefixes_for(source: AISSource, prefix_map: PrefixMap) -> list[str]:
    """The prefixes to list for ``source``: its entry (a str or a list), or everything."""
    entry = prefix_map.get(source)
    if entry is None:
        return [""]
    return [entry] if isinstance(entry, str) else list(entry)


def install_worker_clients(sources: Sequence[AISSource]) -> None:
    """Give every source a client that opens one HTTP session per worker process and thread."""
    for source in sources:
        if not isinstance(source.client, WorkerRequestClient):
            source.client = WorkerRequestClient(source.client)


def list_objects(sources: Sequence[AISSource], prefix_map: PrefixMap) -> list[Object]:
    """All objects of ``sources`` under their prefixes, in listing order.

    An object matched by two overlapping prefixes of one source is kept once.
    """
    objects: list[Object] = []
    for source in sources:
        seen: set[str] = set()
        for prefix in prefixes_for(source, prefix_map):
            for obj in source.list_all_objects_iter(prefix=prefix):
                if obj.name not in seen:
                    seen.add(obj.name)
                    objects.append(obj)
    return objects


def etl_config(etl_name: str | None) -> ETLConfig | None:
    """The server-side transform to request, if any (we never transform client-side)."""
    return ETLConfig(etl_name) if etl_name else None


class AISBaseMapDataset(ABC, Dataset[T_co]):
    """Base for map-style datasets over AIS objects; subclasses implement ``__getitem__``.

    Args:
        ais_source_list: one AISSource (e.g. a Bucket) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.

    The object list is made at construction (see module docs for its cost);
    ``len(dataset)`` is then O(1).
    """

    def __init__(self, ais_source_list: SourceList, prefix_map: PrefixMap | None = None) -> None:
        self._ais_source_list = as_source_list(ais_source_list, type(self).__name__)
        self._prefix_map: PrefixMap = dict(prefix_map or {})
        install_worker_clients(self._ais_source_list)
        self._obj_list = list_objects(self._ais_source_list, self._prefix_map)

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


class AISBaseIterDataset(CarriesRankToWorkers, ABC, IterableDataset[T_co]):
    """Base for iterable datasets over AIS objects; subclasses implement ``__iter__``.

    Work is split over distributed ranks, then DataLoader workers (see
    :mod:`aisref.pytorch.partition`): every rank gets the same number of samples, each sample
    read once per epoch apart from the padding that makes the counts equal.

    Args:
        ais_source_list: one AISSource (e.g. a Bucket) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.
        split_by_rank: split over torch.distributed ranks (default). False: every rank reads
            everything (still split over its DataLoader workers); for users who give each
            rank its own sources or prefixes.
        drop_last: with several ranks, drop the last (fewer than world size) samples to make
            the counts equal, instead of padding by reading the first ones again.

    Rank and world size come from torch.distributed when it is initialised, else from the
    RANK and WORLD_SIZE environment variables; spawned DataLoader workers get the main
    process's values with the dataset.
    """

    def __init__(
        self,
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        self._ais_source_list = as_source_list(ais_source_list, type(self).__name__)
        self._prefix_map: PrefixMap = dict(prefix_map or {})
        self._rank_split = RankSplit(split_by_rank=split_by_rank, drop_last=drop_last)
        install_worker_clients(self._ais_source_list)
        self._obj_list = list_objects(self._ais_source_list, self._prefix_map)

    def refresh(self) -> None:
        """List the sources again (one listing), e.g. between epochs to see new objects."""
        self._obj_list = list_objects(self._ais_source_list, self._prefix_map)

    def get_obj_list(self) -> list[Object]:
        """Every object of the dataset, over all readers, in listing order."""
        return self._obj_list

    def _objects_for_this_reader(self) -> tuple[list[Object], ReaderSlot]:
        slot = self._rank_split.reader_slot()
        ranges = reader_ranges(len(self._obj_list), slot, self._rank_split.drop_last)
        return take(self._obj_list, ranges), slot

    def __len__(self) -> int:
        """Number of objects this rank reads per epoch, over all its DataLoader workers.

        O(1) (listed at construction); equal on every rank. Unlike the official dataset,
        this does not iterate (or read) the dataset.
        """
        _, world_size = self._rank_split.ranks()
        return rank_share(len(self._obj_list), world_size, self._rank_split.drop_last)

    @abstractmethod
    def __iter__(self) -> Iterator[T_co]: ...
