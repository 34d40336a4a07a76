"""AISBatchIterDataset: iterable ``(object name, bytes)``, many objects per GetBatch request."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from aisref.client import Client, Colocation, Object
from aisref.client.get_batch import Batch
from aisref.pytorch.base import AISBaseIterDataset, PrefixMap, SourceList
from aisref.pytorch.official_sources import aisref_client
from aisref.pytorch.progress import with_progress
from aisref.pytorch.worker_client import WorkerRequestClient

log = logging.getLogger(__name__)


class AISBatchIterDataset(AISBaseIterDataset[tuple[str, bytes]]):
    """An iterable dataset of AIS objects, fetched ``max_batch_size`` at a time by GetBatch.

    Same constructor as the official ``aistore.pytorch.AISBatchIterDataset``; ``client`` is an
    :class:`aisref.client.Client` or the official SDK's ``Client`` (its endpoint, token and
    TLS settings are used by an aisref client; see :mod:`aisref.pytorch.official_sources`).
    Each reader (rank, then DataLoader worker: see :mod:`aisref.pytorch.partition`) takes its
    contiguous share of the listing and sends one
    GetBatch per ``max_batch_size`` objects of it, yielding ``(object name, bytes)`` in
    listing order as each batch's tar streams in (memory: one object plus one read buffer).

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them.
        client: the client whose cluster the GetBatch requests go to.
        prefix_map: optional ``{source: prefix or [prefixes]}``.
        show_progress: draw a tqdm bar per reader.
        max_batch_size: objects per GetBatch request (default 32).
        output_format: ``".tar"`` (default), ``".tgz"`` or ``".tar.gz"``.
        streaming: the server streams the tar as it builds it (default); False: the
            multipart form (metadata, then the tar).
        colocation: the :class:`~aisref.client.Colocation` hint.
        partition_sources_by_worker: each DataLoader worker lists and reads whole sources of
            its own (see :class:`~aisref.pytorch.AISBaseIterDataset`); one rank only.
        cont_on_err: True: missing objects are logged and skipped; False (default): the
            first missing object raises :class:`~aisref.client.ObjectNotFound` naming it (the
            official, on v1.5.0, leaves it out silently).
        split_by_rank, drop_last: as for :class:`~aisref.pytorch.AISIterDataset`.
    """

    def __init__(
        self,
        ais_source_list: SourceList,
        client: Client | Any,
        prefix_map: PrefixMap | None = None,
        show_progress: bool = False,
        max_batch_size: int = 32,
        output_format: str = ".tar",
        streaming: bool = True,
        colocation: Colocation | int = Colocation.NONE,
        partition_sources_by_worker: bool = False,
        cont_on_err: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        super().__init__(
            ais_source_list,
            prefix_map,
            partition_sources_by_worker,
            split_by_rank=split_by_rank,
            drop_last=drop_last,
        )
        client = aisref_client(client, type(self).__name__)
        self._request_client = WorkerRequestClient(client.request_client)
        self.max_batch_size = max_batch_size
        self.output_format = output_format
        self.streaming = streaming
        self.colocation = Colocation(colocation)
        self.partition_sources_by_worker = partition_sources_by_worker
        self.cont_on_err = cont_on_err
        self._show_progress = show_progress
        self._new_batch([])  # a bad output_format fails here, not in a worker

    def _new_batch(self, objects: list[Object]) -> Batch:
        return Batch(
            self._request_client,
            objects,
            output_format=self.output_format,
            cont_on_err=self.cont_on_err,
            streaming_get=self.streaming,
            colocation=self.colocation,
        )

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        objects, slot = self._objects_for_this_reader()
        shown = with_progress(
            objects, type(self).__name__, slot, self._show_progress, total=len(objects)
        )
        for batch in _chunks(shown, self.max_batch_size):
            yield from self._read_batch(batch)

    def _read_batch(self, objects: list[Object]) -> Iterator[tuple[str, bytes]]:
        for out, data in self._new_batch(objects).get():
            if out.err_msg:  # only with cont_on_err: without it the batch raised
                log.warning("Skipping %s: %s", out.obj_name, out.err_msg)
                continue
            yield out.obj_name, data


def _chunks(items: Iterable[Object], size: int) -> Iterator[list[Object]]:
    chunk: list[Object] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
