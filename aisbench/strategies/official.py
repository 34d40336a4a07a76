"""The peer: the official `aistore.pytorch` 2.0.0 datasets, on the same data in the same run."""

from __future__ import annotations

import importlib.util
from typing import Any

from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import OBJECTS, SHARDS, DatasetStrategy, etl_name


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


OFFICIAL_MAP = DatasetStrategy(
    "official-map", "aistore.pytorch AISMapDataset (SDK 2.0.0)",
    OBJECTS, _map_dataset, iterable=False, unavailable=_sdk_missing)
OFFICIAL_ITER = DatasetStrategy(
    "official-iter", "aistore.pytorch AISIterDataset (SDK 2.0.0)",
    OBJECTS, _iter_dataset, iterable=True, unavailable=_sdk_missing)
OFFICIAL_SHARDS = DatasetStrategy(
    "official-shards", "aistore.pytorch AISShardReader (SDK 2.0.0): whole shard read, then parsed",
    SHARDS, _shard_reader, iterable=True, unavailable=_sdk_missing)
