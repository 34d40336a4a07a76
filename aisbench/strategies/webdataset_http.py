"""The webdataset library reading the same tar shards over plain HTTP from the cluster."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from aisbench.scenario.model import Case
from aisbench.strategies.base import CountedBatch, StrategyContext
from aisbench.strategies.samples import make_dataloader
from aisref.client import Client


@dataclass(frozen=True)
class WebdatasetHttp:
    name: str = "webdataset-http"
    description: str = "webdataset.WebDataset over http:// URLs (curl -L through the proxy)"
    dataset_kinds: frozenset[str] = frozenset({"shards"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        if case.etl is not None:
            return "webdataset reads plain HTTP; server-side ETL is not part of this strategy"
        if importlib.util.find_spec("webdataset") is None:
            return "webdataset is not installed (pip install 'aisbench[peers]')"
        if shutil.which("curl") is None:
            return "webdataset opens http:// URLs with curl, which is not installed"
        return None

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        import webdataset as wds

        bucket = Client(ctx.endpoint).bucket(ctx.bucket)
        urls = [ctx.object_url(entry.name)
                for entry in bucket.list_objects_iter(prefix=ctx.prefix, props="name")]
        # nodesplitter/workersplitter split shards over ranks and DataLoader workers.
        dataset = wds.WebDataset(urls, shardshuffle=False, nodesplitter=wds.split_by_node,
                                 workersplitter=wds.split_by_worker, empty_check=False)
        return make_dataloader(dataset, case, iterable=True)
