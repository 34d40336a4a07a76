"""AISIterDataset: iterable ``(object name, bytes)`` over AIS objects, split across readers."""

from __future__ import annotations

from collections.abc import Iterator
from operator import length_hint

from aisref.pytorch.base import AISBaseIterDataset, PrefixMap, SourceList, etl_config
from aisref.pytorch.progress import with_progress


class AISIterDataset(AISBaseIterDataset[tuple[str, bytes]]):
    """An iterable dataset of AIS objects yielding ``(object name, object bytes)``.

    Objects are split over distributed ranks, then DataLoader workers, in contiguous ranges
    of the listing: every rank reads the same number of objects (``len()``), each object once
    per epoch apart from the padding that makes the counts equal (see
    :mod:`aisref.pytorch.partition`). Objects are listed once, at construction, not once per
    worker (see :mod:`aisref.pytorch.base`).

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.
        etl_name: optional ETL, already running on the cluster, applied server-side to each
            object. A cluster without ETL raises ``ETLNotAvailable`` naming it on first read.
        show_progress: draw a tqdm bar per reader, labelled with its worker id.
        partition_sources_by_worker: each DataLoader worker lists and reads whole sources of
            its own (see :class:`~aisref.pytorch.AISBaseIterDataset`); one rank only.
        split_by_rank: split over torch.distributed ranks (default); False: every rank reads
            every object (split over its DataLoader workers only).
        drop_last: make rank counts equal by dropping the last (fewer than world size)
            objects instead of reading the first ones again.
    """

    def __init__(
        self,
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        super().__init__(
            ais_source_list,
            prefix_map,
            partition_sources_by_worker,
            split_by_rank=split_by_rank,
            drop_last=drop_last,
        )
        self._etl = etl_config(etl_name)
        self._show_progress = show_progress

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        self._reset_iterator()
        objects, _ = self._get_worker_iter_info()
        slot = self._rank_split.reader_slot()
        total = length_hint(objects) or None
        for obj in with_progress(objects, type(self).__name__, slot, self._show_progress, total):
            yield obj.name, obj.get_reader(etl=self._etl).read_all()
