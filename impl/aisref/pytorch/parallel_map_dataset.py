"""AISParallelMapDataset: map-style ``(object name, bytes)``, each object read by concurrent
Range GETs (see :mod:`aisref.client.parallel_read`)."""

from __future__ import annotations

from aisref.client import Object
from aisref.pytorch.base import AISBaseMapDataset, PrefixMap, SourceList

DEFAULT_RANGE_WORKERS = 16  # concurrent Range GETs per object, as the official default


class AISParallelMapDataset(AISBaseMapDataset[tuple[str, bytes]]):
    """A map-style dataset whose ``dataset[i]`` is ``(object name, object bytes)``, each object
    fetched as byte ranges by ``num_workers`` concurrent Range GETs into one shared-memory
    buffer, every range checked to be of the same object version.

    Unlike the official 2.0.0 dataset, which returns the ``ParallelBuffer`` itself (shared
    memory the caller must close, which a DataLoader worker cannot pickle to the main process),
    the bytes are copied out once and the buffer is unmapped before ``__getitem__`` returns,
    also when a range fails; the buffer has no name in ``/dev/shm``, so a killed DataLoader
    worker leaves nothing there either. Range reads run on threads, so the dataset works
    inside DataLoader workers (daemonic processes, which the official's process pool cannot be
    started from).

    Args:
        ais_source_list: one AISSource (e.g. a Bucket) or a list of them (required; the
            official accepts None and is then empty).
        prefix_map: optional ``{source: prefix or [prefixes]}``.
        num_workers: concurrent range GETs per object (>= 2).
        chunk_size: bytes per range (default 8 MiB, as the official SDK).
    """

    def __init__(
        self,
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        num_workers: int = DEFAULT_RANGE_WORKERS,
        *,
        chunk_size: int | None = None,
    ) -> None:
        if num_workers < 2:
            raise ValueError(f"num_workers must be at least 2, got {num_workers}")
        super().__init__(ais_source_list or [], prefix_map)
        self._num_workers = num_workers
        self._chunk_size = chunk_size

    @property
    def num_workers(self) -> int:
        """Concurrent range GETs per object."""
        return self._num_workers

    def _read(self, obj: Object) -> tuple[str, bytes]:
        reader = obj.get_reader(chunk_size=self._chunk_size, num_workers=self._num_workers)
        with reader.read_all() as buffer:
            return obj.name, buffer.tobytes()

    def __getitem__(self, index: int) -> tuple[str, bytes]:
        """``(name, bytes)`` of object ``index``; IndexError when out of range."""
        try:
            obj = self._obj_list[index]
        except IndexError:
            raise IndexError(
                f"{type(self).__name__} index {index} is out of range: the dataset has "
                f"{len(self._obj_list)} objects"
            ) from None
        return self._read(obj)
