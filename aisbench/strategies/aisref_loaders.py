"""Our own datasets (aisref): map, iterable, datapipes, shard reader, multishard stream."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import OBJECTS, SHARDS, DatasetStrategy, etl_name
from aisbench.strategies.official import (
    RANGE_READERS_PER_OBJECT,
    SharedBuffersAsBytes,
    batch_bytes_limit,
)
from aisref.client import Bucket, Client, DataShard

# The fast-path classes of issue #12 land in aisref later; until then their strategies skip.
AISREF_ISSUE = "#12"


def aisref_class(name: str) -> Any:
    """``aisref.pytorch.<name>``, or None while aisref does not have it."""
    return getattr(importlib.import_module("aisref.pytorch"), name, None)


def missing_aisref_classes(*names: str) -> Callable[[], str | None]:
    """An `unavailable` check: why the strategy cannot run while aisref lacks ``names``."""
    def reason() -> str | None:
        missing = [name for name in names if aisref_class(name) is None]
        if not missing:
            return None
        return f"aisref has no {' or '.join(missing)} yet ({AISREF_ISSUE})"
    return reason


def _bucket(ctx: StrategyContext) -> Bucket:
    return Client(ctx.endpoint).bucket(ctx.bucket)


def _map_dataset(case: Case, ctx: StrategyContext) -> Any:
    from aisref.pytorch import AISMapDataset

    bucket = _bucket(ctx)
    return AISMapDataset(bucket, prefix_map={bucket: ctx.prefix}, etl_name=etl_name(case))


def _iter_dataset(case: Case, ctx: StrategyContext) -> Any:
    from aisref.pytorch import AISIterDataset

    bucket = _bucket(ctx)
    return AISIterDataset(bucket, prefix_map={bucket: ctx.prefix}, etl_name=etl_name(case))


def _with_tensor_payloads(class_name: str) -> Callable[[Case, StrategyContext], Any]:
    """The dataset ``class_name`` yielding ``torch.uint8`` tensors (``tensor_payloads=True``)."""
    def dataset(case: Case, ctx: StrategyContext) -> Any:
        bucket = _bucket(ctx)
        return aisref_class(class_name)(bucket, prefix_map={bucket: ctx.prefix},
                                        etl_name=etl_name(case), tensor_payloads=True)
    return dataset


def lacks_tensor_payloads(class_name: str) -> Callable[[], str | None]:
    """An `unavailable` check for a version of aisref (e.g. an A/B base) whose ``class_name``
    has no ``tensor_payloads`` option."""
    def reason() -> str | None:
        cls = aisref_class(class_name)
        if cls is not None and "tensor_payloads" in inspect.signature(cls).parameters:
            return None
        return f"aisref's {class_name} has no tensor_payloads option in this version"
    return reason


def _shard_reader(case: Case, ctx: StrategyContext) -> Any:
    from aisref.pytorch import AISShardReader

    bucket = _bucket(ctx)
    return AISShardReader(bucket, prefix_map={bucket: ctx.prefix}, etl_name=etl_name(case))


class MembersToSamples:
    """Regroup a stream of single members into samples of `members` consecutive members.

    AISMultiShardStream over one source yields one tuple per tar member; the datasets write a
    sample's members next to each other, so `members` in a row are one sample. Counting samples,
    not members, keeps samples/s comparable with the other shard readers.
    """

    def __init__(self, stream: Any, members: int) -> None:
        self.stream = stream
        self.members = members

    def __iter__(self) -> Iterator[tuple[bytes, ...]]:
        sample: list[bytes] = []
        for (member,) in self.stream:
            sample.append(member)
            if len(sample) == self.members:
                yield tuple(sample)
                sample = []
        if sample:
            raise ValueError(f"the stream ended inside a sample: {len(sample)} of "
                             f"{self.members} members")


def _shard_map_dataset(case: Case, ctx: StrategyContext) -> Any:
    bucket = _bucket(ctx)
    return aisref_class("AISShardMapDataset")(bucket, prefix_map={bucket: ctx.prefix})


def _multishard(case: Case, ctx: StrategyContext) -> Any:
    from aisref.pytorch import AISMultiShardStream

    source = DataShard(client_url=ctx.endpoint, bucket_name=ctx.bucket, prefix=ctx.prefix,
                       etl_name=etl_name(case))
    return MembersToSamples(AISMultiShardStream([source]), len(ctx.dataset.members))


class _ReadStreams:
    """(url, stream) -> (url, bytes), read inside the worker."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for url, stream in self.pipe:
            try:
                yield url, stream.read()
            finally:
                stream.close()


def _datapipes(case: Case, ctx: StrategyContext) -> Any:
    from torch.utils.data.datapipes.iter import IterableWrapper

    from aisref.pytorch import AISFileLister, AISFileLoader

    prefixes = IterableWrapper([f"ais://{ctx.bucket}/{ctx.prefix}"])
    urls = AISFileLister(url=ctx.endpoint, source_datapipe=prefixes)
    return _ReadStreams(AISFileLoader(url=ctx.endpoint, source_datapipe=urls,
                                      etl_name=etl_name(case)))


def _batch_iter_dataset(case: Case, ctx: StrategyContext) -> Any:
    client = Client(ctx.endpoint)
    bucket = client.bucket(ctx.bucket)
    return aisref_class("AISBatchIterDataset")(
        bucket, client, prefix_map={bucket: ctx.prefix},
        max_batch_size=case.loader.objects_per_get_batch)


def _parallel_map_dataset(case: Case, ctx: StrategyContext) -> Any:
    bucket = _bucket(ctx)
    return SharedBuffersAsBytes(aisref_class("AISParallelMapDataset")(
        bucket, prefix_map={bucket: ctx.prefix}, num_workers=RANGE_READERS_PER_OBJECT))


def _parallel_map_tensors(case: Case, ctx: StrategyContext) -> Any:
    bucket = _bucket(ctx)
    return aisref_class("AISParallelMapDataset")(
        bucket, prefix_map={bucket: ctx.prefix}, num_workers=RANGE_READERS_PER_OBJECT,
        tensor_payloads=True)


def _dynamic_batches(dataset: Any, case: Case) -> Any:
    return aisref_class("DynamicBatchSampler")(dataset, max_batch_size=batch_bytes_limit(case))


AISREF_MAP = DatasetStrategy(
    "aisref-map", "aisref AISMapDataset: one GET per object, a batch fetched concurrently",
    OBJECTS, _map_dataset, iterable=False)
AISREF_ITER = DatasetStrategy(
    "aisref-iter", "aisref AISIterDataset: one streaming GET per object, split over workers",
    OBJECTS, _iter_dataset, iterable=True)
# The same two readers with tensor_payloads=True: for large equal-sized samples through
# workers, batches cross to the main process in shared memory instead of a pickle.
AISREF_MAP_TENSORS = DatasetStrategy(
    "aisref-map-tensors",
    "aisref AISMapDataset(tensor_payloads=True): as aisref-map, payloads as uint8 tensors",
    OBJECTS, _with_tensor_payloads("AISMapDataset"), iterable=False,
    unavailable=lacks_tensor_payloads("AISMapDataset"))
AISREF_ITER_TENSORS = DatasetStrategy(
    "aisref-iter-tensors",
    "aisref AISIterDataset(tensor_payloads=True): as aisref-iter, each object read straight "
    "into a uint8 tensor", OBJECTS, _with_tensor_payloads("AISIterDataset"), iterable=True,
    unavailable=lacks_tensor_payloads("AISIterDataset"))
AISREF_DATAPIPE = DatasetStrategy(
    "aisref-datapipe", "aisref AISFileLister -> AISFileLoader datapipes",
    OBJECTS, _datapipes, iterable=True)
AISREF_SHARDS = DatasetStrategy(
    "aisref-shards", "aisref AISShardReader: tar shards parsed while they stream",
    SHARDS, _shard_reader, iterable=True)
# Ceiling: GetBatch of files inside shards by archpath is exactly what aisloader's -arch.list
# with -get-batchsize does; the plain archive GET ceiling is what `dataset[i]` alone would do.
AISREF_SHARD_MAP = DatasetStrategy(
    "aisref-shard-map",
    "aisref AISShardMapDataset: samples inside shards by archpath, one GetBatch per batch",
    SHARDS, _shard_map_dataset, iterable=False,
    unavailable=missing_aisref_classes("AISShardMapDataset"), applies_etl=False,
    ceiling="aisloader-archive-getbatch")
AISREF_MULTISHARD = DatasetStrategy(
    "aisref-multishard", "aisref AISMultiShardStream: one streaming GET per shard",
    SHARDS, _multishard, iterable=True)
AISREF_BATCH_ITER = DatasetStrategy(
    "aisref-batch-iter",
    "aisref AISBatchIterDataset: GetBatch of loader.get_batch_size (default batch_size) objects",
    OBJECTS, _batch_iter_dataset, iterable=True,
    unavailable=missing_aisref_classes("AISBatchIterDataset"), applies_etl=False,
    ceiling="aisloader-getbatch")
AISREF_PARALLEL_MAP = DatasetStrategy(
    "aisref-parallel-map",
    f"aisref AISParallelMapDataset: {RANGE_READERS_PER_OBJECT} range reads per object",
    OBJECTS, _parallel_map_dataset, iterable=False,
    unavailable=missing_aisref_classes("AISParallelMapDataset"), applies_etl=False)
AISREF_PARALLEL_MAP_TENSORS = DatasetStrategy(
    "aisref-parallel-map-tensors",
    f"aisref AISParallelMapDataset(tensor_payloads=True): {RANGE_READERS_PER_OBJECT} range "
    "reads per object straight into a uint8 tensor", OBJECTS, _parallel_map_tensors,
    iterable=False, unavailable=lacks_tensor_payloads("AISParallelMapDataset"),
    applies_etl=False)
AISREF_MAP_DYNAMIC = DatasetStrategy(
    "aisref-map-dynamic",
    "aisref AISMapDataset batched by DynamicBatchSampler, loader.batch_size x mean size bytes "
    "per batch", OBJECTS, _map_dataset, iterable=False,
    unavailable=missing_aisref_classes("DynamicBatchSampler"), batch_sampler=_dynamic_batches)
