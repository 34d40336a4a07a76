"""The peer: the official `aistore.pytorch` 2.0.0 datasets, on the same data in the same run."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aisbench.scenario.model import Case
from aisbench.strategies.base import CountedBatch, StrategyContext, etl_skip_reason
from aisbench.strategies.samples import make_dataloader


def _sdk_missing() -> str | None:
    if importlib.util.find_spec("aistore") is None:
        return "the official SDK is not installed (pip install 'aisbench[peers]')"
    return None


def _official_bucket(ctx: StrategyContext) -> Any:
    from aistore.sdk import Client

    return Client(ctx.endpoint).bucket(ctx.bucket)


def _etl(case: Case) -> str | None:
    return case.etl.name if case.etl else None


@dataclass(frozen=True)
class OfficialMap:
    name: str = "official-map"
    description: str = "aistore.pytorch AISMapDataset (SDK 2.0.0)"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return _sdk_missing() or etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aistore.pytorch import AISMapDataset

        bucket = _official_bucket(ctx)
        dataset = AISMapDataset(bucket, prefix_map={bucket: ctx.prefix}, etl_name=_etl(case))
        return make_dataloader(dataset, case, iterable=False)


@dataclass(frozen=True)
class OfficialIter:
    name: str = "official-iter"
    description: str = "aistore.pytorch AISIterDataset (SDK 2.0.0)"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return _sdk_missing() or etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aistore.pytorch import AISIterDataset

        bucket = _official_bucket(ctx)
        dataset = AISIterDataset(bucket, prefix_map={bucket: ctx.prefix}, etl_name=_etl(case))
        return make_dataloader(dataset, case, iterable=True)


@dataclass(frozen=True)
class OfficialShards:
    name: str = "official-shards"
    description: str = "aistore.pytorch AISShardReader (SDK 2.0.0): whole shard read, then parsed"
    dataset_kinds: frozenset[str] = frozenset({"shards"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return _sdk_missing() or etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aistore.pytorch import AISShardReader

        bucket = _official_bucket(ctx)
        dataset = AISShardReader(bucket, prefix_map={bucket: ctx.prefix}, etl_name=_etl(case))
        return make_dataloader(dataset, case, iterable=True)
