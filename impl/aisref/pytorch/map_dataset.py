"""AISMapDataset: map-style ``(object name, bytes)`` over AIS objects."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, Literal, overload

import torch

from aisref.client import GetBatchUnsupported, Object
from aisref.client.get_batch import Batch
from aisref.pytorch.base import (
    AISBaseMapDataset,
    PrefixMap,
    SourceList,
    checked_index,
    etl_config,
)
from aisref.pytorch.tensor_payloads import Payload, PayloadT, member_payload, payload_reader

DEFAULT_BATCH_CONCURRENCY = 8  # parallel GETs per batch; small, the DataLoader adds workers

log = logging.getLogger(__name__)


class AISMapDataset(AISBaseMapDataset[tuple[str, PayloadT]], Generic[PayloadT]):
    """A map-style dataset of AIS objects; ``dataset[i]`` is ``(object name, object bytes)``.

    Args:
        ais_source_list: one source (a Bucket or ObjectGroup, aisref's or the official
            SDK's) or a list of them; required (the default, none, raises ValueError).
        prefix_map: optional ``{source: prefix or [prefixes]}``; sources without an entry
            contribute all their objects.
        etl_name: optional ETL, already running on the cluster, applied server-side to each
            object. A cluster without ETL raises ``ETLNotAvailable`` naming it on first read.
        batch_concurrency: at most this many concurrent GETs when a batch is read object by
            object (``__getitems__`` without GetBatch).
        get_batch: read each batch the DataLoader asks for (``__getitems__``) with ONE
            GetBatch request (default; not with ``etl_name``, which GetBatch cannot apply).
            Support is detected on the first batch: a cluster without the endpoint
            (``GetBatchUnsupported``: 404/405/501, or 400 "invalid request URI", on
            ``/v1/ml/moss``) is logged once and every batch is then read object by object,
            ``batch_concurrency`` at a time. False: always object by object.
        tensor_payloads: each object's bytes as a 1-D ``torch.uint8`` tensor instead of
            ``bytes``, so DataLoader workers hand samples over through shared memory
            rather than pickling them through a pipe. ``dataset[i]`` reads from the socket
            straight into the tensor; a GetBatch member is copied into one once. Off by
            default: see :mod:`aisref.pytorch.tensor_payloads`.

    Objects are listed once, at construction (see :mod:`aisref.pytorch.base`).
    """

    # Typed by tensor_payloads: bytes by default, torch.Tensor with True.
    @overload
    def __init__(
        self: AISMapDataset[bytes],
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        *,
        batch_concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        get_batch: bool = True,
        tensor_payloads: Literal[False] = False,
    ) -> None: ...

    @overload
    def __init__(
        self: AISMapDataset[torch.Tensor],
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        *,
        batch_concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        get_batch: bool = True,
        tensor_payloads: Literal[True],
    ) -> None: ...

    @overload
    def __init__(
        self: AISMapDataset[Payload],
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        *,
        batch_concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        get_batch: bool = True,
        tensor_payloads: bool,
    ) -> None: ...

    def __init__(
        self,
        ais_source_list: SourceList | None = None,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        *,
        batch_concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        get_batch: bool = True,
        tensor_payloads: bool = False,
    ) -> None:
        super().__init__(ais_source_list, prefix_map)
        if batch_concurrency < 1:
            raise ValueError(f"batch_concurrency must be >= 1, got {batch_concurrency}")
        self._etl = etl_config(etl_name)
        self._batch_concurrency = batch_concurrency
        self._read_payload: Any = payload_reader(tensor_payloads)
        self._member_payload: Any = member_payload(tensor_payloads)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        # None: not yet known (the first batch finds out); False: read object by object.
        self._get_batch: bool | None = None if get_batch and self._etl is None else False

    def _read(self, obj: Object) -> tuple[str, PayloadT]:
        return obj.name, self._read_payload(obj.get_reader(etl=self._etl))

    def __getitem__(self, index: int) -> tuple[str, PayloadT]:
        """``(name, bytes)`` of object ``index``; IndexError when out of range."""
        return self._read(self._obj_list[self._checked(index)])

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[str, PayloadT]]:
        """A batch, in the order of ``indices``: one GetBatch request (see ``get_batch``),
        else fetched concurrently by a small thread pool.

        The first failing index (in batch order) raises; nothing is dropped.
        """
        if self._get_batch is not False and len(indices) > 1:
            try:
                samples = self._read_by_get_batch(indices)
            except GetBatchUnsupported as err:
                if self._get_batch:  # it worked before: this is not about support
                    raise
                log.warning("%s: reading object by object: %s", type(self).__name__, err)
                self._get_batch = False
            else:
                self._get_batch = True
                return samples
        return self._read_one_by_one(indices)

    def _read_by_get_batch(self, indices: Sequence[int]) -> list[tuple[str, PayloadT]]:
        objects = [self._obj_list[self._checked(index)] for index in indices]
        if not all(isinstance(obj, Object) for obj in objects) or (
            len({obj.client.endpoint for obj in objects}) > 1  # sources on two clusters
        ):
            return self._read_one_by_one(indices)
        batch = Batch(objects[0].client, objects, cont_on_err=False)
        return [(out.obj_name, self._member_payload(data)) for out, data in batch.get()]

    def _checked(self, index: int) -> int:
        return checked_index(index, len(self._obj_list), type(self).__name__, "objects")

    def _read_one_by_one(self, indices: Sequence[int]) -> list[tuple[str, PayloadT]]:
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
