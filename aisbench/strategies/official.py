"""The peer: the official `aistore.pytorch` 2.0.0 datasets, on the same data in the same run."""

from __future__ import annotations

import importlib.util
from typing import Any

from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import OBJECTS, SHARDS, DatasetStrategy, etl_name

# Concurrent range reads per object for the parallel map datasets (the SDK's default is 16; a
# 2-core machine gains nothing past a few). aisref's peer is given the same number.
RANGE_READERS_PER_OBJECT = 4


class SharedBuffersAsBytes:
    """A parallel map dataset whose samples are bytes, its shared-memory buffers released.

    AISParallelMapDataset returns (name, ParallelBuffer): shared memory the caller must copy
    out and close, which is what a training loop has to do before the sample leaves the
    DataLoader worker. The copy is part of what is measured, as it is part of the user's cost.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> tuple[str, bytes]:
        name, buffer = self.inner[index]
        if isinstance(buffer, bytes):
            return name, buffer
        try:
            return name, buffer.tobytes()
        finally:
            buffer.close()


def parallel_reads_need_the_main_process(case: Case) -> str | None:
    """SDK 2.0.0's parallel reads start a process pool, which a DataLoader worker (a daemonic
    process) may not: every read there fails with "daemonic processes are not allowed to have
    children"."""
    if case.loader.num_workers > 0:
        return ("AISParallelMapDataset (SDK 2.0.0) reads through a process pool, which DataLoader "
                "workers cannot start (daemonic processes are not allowed to have children): "
                "run it with loader.num_workers 0")
    return None


def batch_bytes_limit(case: Case) -> int:
    """DynamicBatchSampler's byte limit that holds ``loader.batch_size`` samples of the mean
    size, so its batches compare with a fixed batch size (exactly, for fixed sizes)."""
    return round(case.loader.batch_size * case.dataset.mean_sample_bytes)


def _sdk_missing() -> str | None:
    if importlib.util.find_spec("aistore") is None:
        return "the official SDK is not installed (pip install 'aisbench[peers]')"
    return None


def _official(class_name: str, case: Case, ctx: StrategyContext) -> Any:
    import aistore.pytorch
    from aistore.sdk import Client

    bucket = Client(ctx.endpoint).bucket(ctx.bucket)
    dataset_class = getattr(aistore.pytorch, class_name)
    return dataset_class(bucket, prefix_map={bucket: ctx.prefix}, etl_name=etl_name(case))


def _map_dataset(case: Case, ctx: StrategyContext) -> Any:
    return _official("AISMapDataset", case, ctx)


def _iter_dataset(case: Case, ctx: StrategyContext) -> Any:
    return _official("AISIterDataset", case, ctx)


def _shard_reader(case: Case, ctx: StrategyContext) -> Any:
    return _official("AISShardReader", case, ctx)


def _batch_iter_dataset(case: Case, ctx: StrategyContext) -> Any:
    # Not exported from aistore.pytorch in SDK 2.0.0; its module is public.
    from aistore.pytorch.batch_iter_dataset import AISBatchIterDataset
    from aistore.sdk import Client

    client = Client(ctx.endpoint)
    bucket = client.bucket(ctx.bucket)
    return AISBatchIterDataset(bucket, client, prefix_map={bucket: ctx.prefix},
                               max_batch_size=case.loader.objects_per_get_batch)


def _parallel_map_dataset(case: Case, ctx: StrategyContext) -> Any:
    from aistore.pytorch import AISParallelMapDataset
    from aistore.sdk import Client

    bucket = Client(ctx.endpoint).bucket(ctx.bucket)
    return SharedBuffersAsBytes(AISParallelMapDataset(bucket, prefix_map={bucket: ctx.prefix},
                                                      num_workers=RANGE_READERS_PER_OBJECT))


def _dynamic_batches(dataset: Any, case: Case) -> Any:
    from aistore.pytorch import DynamicBatchSampler

    return DynamicBatchSampler(dataset, max_batch_size=batch_bytes_limit(case))


# aistore.pytorch's iterable datasets split over DataLoader workers only (SDK 2.0.0 reads no
# torch.distributed rank): over ranks every rank would read the whole dataset.
_NO_RANK_SPLIT = ("the official SDK's iterable datasets (aistore 2.0.0) do not split by "
                  "torch.distributed rank, so every rank would read the whole dataset")

OFFICIAL_MAP = DatasetStrategy(
    "official-map", "aistore.pytorch AISMapDataset (SDK 2.0.0)",
    OBJECTS, _map_dataset, iterable=False, unavailable=_sdk_missing)
OFFICIAL_ITER = DatasetStrategy(
    "official-iter", "aistore.pytorch AISIterDataset (SDK 2.0.0)",
    OBJECTS, _iter_dataset, iterable=True, unavailable=_sdk_missing,
    ranks_unsupported=_NO_RANK_SPLIT)
OFFICIAL_SHARDS = DatasetStrategy(
    "official-shards", "aistore.pytorch AISShardReader (SDK 2.0.0): whole shard read, then parsed",
    SHARDS, _shard_reader, iterable=True, unavailable=_sdk_missing,
    ranks_unsupported=_NO_RANK_SPLIT)
OFFICIAL_BATCH_ITER = DatasetStrategy(
    "official-batch-iter",
    "aistore.pytorch AISBatchIterDataset (SDK 2.0.0): GetBatch of loader.get_batch_size "
    "(default batch_size) objects",
    OBJECTS, _batch_iter_dataset, iterable=True, unavailable=_sdk_missing, applies_etl=False,
    ceiling="aisloader-getbatch", ranks_unsupported=_NO_RANK_SPLIT)
OFFICIAL_PARALLEL_MAP = DatasetStrategy(
    "official-parallel-map",
    f"aistore.pytorch AISParallelMapDataset (SDK 2.0.0): {RANGE_READERS_PER_OBJECT} range "
    "reads per object", OBJECTS, _parallel_map_dataset, iterable=False,
    unavailable=_sdk_missing, applies_etl=False, refuses=parallel_reads_need_the_main_process)
OFFICIAL_MAP_DYNAMIC = DatasetStrategy(
    "official-map-dynamic",
    "aistore.pytorch AISMapDataset batched by DynamicBatchSampler (SDK 2.0.0), "
    "loader.batch_size x mean size bytes per batch",
    OBJECTS, _map_dataset, iterable=False, unavailable=_sdk_missing,
    batch_sampler=_dynamic_batches)
