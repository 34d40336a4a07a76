"""Our own datasets (aisref): map, iterable, datapipes, shard reader, multishard stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from aisbench.scenario.model import Case
from aisbench.strategies.base import CountedBatch, StrategyContext, etl_skip_reason
from aisbench.strategies.samples import make_dataloader
from aisref.client import Client, DataShard


def _bucket(ctx: StrategyContext) -> Any:
    return Client(ctx.endpoint).bucket(ctx.bucket)


def _etl_name(case: Case) -> str | None:
    return case.etl.name if case.etl else None


@dataclass(frozen=True)
class AisrefMap:
    name: str = "aisref-map"
    description: str = "aisref AISMapDataset: one GET per object, a batch fetched concurrently"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aisref.pytorch import AISMapDataset

        bucket = _bucket(ctx)
        dataset = AISMapDataset(bucket, prefix_map={bucket: ctx.prefix},
                                etl_name=_etl_name(case))
        return make_dataloader(dataset, case, iterable=False)


@dataclass(frozen=True)
class AisrefIter:
    name: str = "aisref-iter"
    description: str = "aisref AISIterDataset: one streaming GET per object, split over workers"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aisref.pytorch import AISIterDataset

        bucket = _bucket(ctx)
        dataset = AISIterDataset(bucket, prefix_map={bucket: ctx.prefix},
                                 etl_name=_etl_name(case))
        return make_dataloader(dataset, case, iterable=True)


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


@dataclass(frozen=True)
class AisrefDatapipe:
    name: str = "aisref-datapipe"
    description: str = "aisref AISFileLister -> AISFileLoader datapipes"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from torch.utils.data.datapipes.iter import IterableWrapper

        from aisref.pytorch import AISFileLister, AISFileLoader

        prefixes = IterableWrapper([f"ais://{ctx.bucket}/{ctx.prefix}"])
        urls = AISFileLister(url=ctx.endpoint, source_datapipe=prefixes)
        files = AISFileLoader(url=ctx.endpoint, source_datapipe=urls, etl_name=_etl_name(case))
        return make_dataloader(_ReadStreams(files), case, iterable=True)


@dataclass(frozen=True)
class AisrefShards:
    name: str = "aisref-shards"
    description: str = "aisref AISShardReader: tar shards parsed while they stream"
    dataset_kinds: frozenset[str] = frozenset({"shards"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aisref.pytorch import AISShardReader

        bucket = _bucket(ctx)
        dataset = AISShardReader(bucket, prefix_map={bucket: ctx.prefix},
                                 etl_name=_etl_name(case))
        return make_dataloader(dataset, case, iterable=True)


@dataclass(frozen=True)
class AisrefMultiShard:
    name: str = "aisref-multishard"
    description: str = "aisref AISMultiShardStream: one streaming GET per shard"
    dataset_kinds: frozenset[str] = frozenset({"shards"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return etl_skip_reason(case, ctx)

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        from aisref.pytorch import AISMultiShardStream

        source = DataShard(client_url=ctx.endpoint, bucket_name=ctx.bucket, prefix=ctx.prefix,
                           etl_name=_etl_name(case))
        return make_dataloader(AISMultiShardStream([source]), case, iterable=True)
