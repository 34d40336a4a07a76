"""AISMapDataset: map-style ``(object name, bytes)`` over AIS objects."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aisref.client import Object
from aisref.pytorch.base import AISBaseMapDataset, PrefixMap, SourceList, etl_config

DEFAULT_BATCH_CONCURRENCY = 8  # parallel GETs per batch; small, the DataLoader adds workers


class AISMapDataset(AISBaseMapDataset[tuple[str, bytes]]):
    """A map-style dataset of AIS objects; ``dataset[i]`` is ``(object name, object bytes)``.

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them; required (the default, none, raises ValueError).
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.
        etl_name: optional ETL, already running on the cluster, applied server-side to each
            object. A cluster without ETL raises ``ETLNotAvailable`` naming it on first read.
        batch_concurrency: at most this many concurrent GETs when the DataLoader asks for a
            whole batch (``__getitems__``).

    Objects are listed once, at construction (see :mod:`aisref.pytorch.base`).
    """

    def __init__(
        self,
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        *,
        batch_concurrency: int = DEFAULT_BATCH_CONCURRENCY,
    ) -> None:
        super().__init__(ais_source_list, prefix_map)
        if batch_concurrency < 1:
            raise ValueError(f"batch_concurrency must be >= 1, got {batch_concurrency}")
        self._etl = etl_config(etl_name)
        self._batch_concurrency = batch_concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def _read(self, obj: Object) -> tuple[str, bytes]:
        return obj.name, obj.get_reader(etl=self._etl).read_all()

    def __getitem__(self, index: int) -> tuple[str, bytes]:
        """``(name, bytes)`` of object ``index``; IndexError when out of range."""
        size = len(self._obj_list)
        if not -size <= index < size:
            raise IndexError(
                f"{type(self).__name__} index {index} is out of range: the dataset has "
                f"{size} objects (valid indices 0..{size - 1})"
            )
        return self._read(self._obj_list[index])

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[str, bytes]]:
        """A batch fetched concurrently by a small thread pool, in the order of ``indices``.

        The first failing index (in batch order) raises; nothing is dropped.
        """
        if len(indices) <= 1 or self._batch_concurrency == 1:
            return [self[index] for index in indices]
        return list(self._thread_pool().map(self.__getitem__, indices))

    def _thread_pool(self) -> ThreadPoolExecutor:
        # Kept across batches so each thread keeps its HTTP session (and connections);
        # threads do not survive fork, hence one pool per process.
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = ThreadPoolExecutor(self._batch_concurrency, thread_name_prefix="ais-get")
            self._pool_pid = os.getpid()
        return self._pool

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"], state["_pool_pid"] = None, 0
        return state
