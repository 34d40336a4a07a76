"""The webdataset library reading the same tar shards over plain HTTP from the cluster."""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import SHARDS, DatasetStrategy
from aisref.client import Client


def _unavailable() -> str | None:
    if importlib.util.find_spec("webdataset") is None:
        return "webdataset is not installed (pip install 'aisbench[peers]')"
    if shutil.which("curl") is None:
        return "webdataset opens http:// URLs with curl, which is not installed"
    return None


def _webdataset(case: Case, ctx: StrategyContext) -> Any:
    import webdataset as wds

    bucket = Client(ctx.endpoint).bucket(ctx.bucket)
    urls = [ctx.object_url(entry.name)
            for entry in bucket.list_objects_iter(prefix=ctx.prefix, props="name")]
    # nodesplitter/workersplitter split shards over ranks and DataLoader workers.
    return wds.WebDataset(urls, shardshuffle=False, nodesplitter=wds.split_by_node,
                          workersplitter=wds.split_by_worker, empty_check=False)


WEBDATASET_HTTP = DatasetStrategy(
    "webdataset-http", "webdataset.WebDataset over http:// URLs (curl -L through the proxy)",
    SHARDS, _webdataset, iterable=True, unavailable=_unavailable, applies_etl=False)
