"""AISIterDataset: iterable ``(object name, bytes)`` over AIS objects, split across readers."""

from __future__ import annotations

from collections.abc import Iterator
from operator import length_hint
from typing import Any, Generic, Literal, overload

import torch

from aisref.pytorch.base import AISBaseIterDataset, PrefixMap, SourceList, etl_config
from aisref.pytorch.progress import with_progress
from aisref.pytorch.tensor_payloads import Payload, PayloadT, payload_reader


class AISIterDataset(AISBaseIterDataset[tuple[str, PayloadT]], Generic[PayloadT]):
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
        tensor_payloads: yield each object's bytes as a 1-D ``torch.uint8`` tensor, read
            from the socket straight into it (in shared memory inside a DataLoader worker),
            instead of ``bytes``: DataLoader workers then hand samples over through shared
            memory rather than pickling them through a pipe. Off by default: see
            :mod:`aisref.pytorch.tensor_payloads`.
    """

    # Typed by tensor_payloads: bytes by default, torch.Tensor with True.
    @overload
    def __init__(
        self: AISIterDataset[bytes],
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: Literal[False] = False,
    ) -> None: ...

    @overload
    def __init__(
        self: AISIterDataset[torch.Tensor],
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: Literal[True],
    ) -> None: ...

    @overload
    def __init__(
        self: AISIterDataset[Payload],
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: bool,
    ) -> None: ...

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
        tensor_payloads: bool = False,
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
        self._read_payload: Any = payload_reader(tensor_payloads)

    def __iter__(self) -> Iterator[tuple[str, PayloadT]]:
        self._reset_iterator()
        objects, _ = self._get_worker_iter_info()
        slot = self._rank_split.reader_slot()
        total = length_hint(objects) or None
        for obj in with_progress(objects, type(self).__name__, slot, self._show_progress, total):
            yield obj.name, self._read_payload(obj.get_reader(etl=self._etl))
