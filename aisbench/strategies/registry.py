"""Every strategy, by name: the one table the scenario loader and the runner consult."""

from __future__ import annotations

from aisbench.errors import UnknownName
from aisbench.strategies.aisloader import (
    AISLOADER_ARCHIVE,
    AISLOADER_ARCHIVE_GETBATCH,
    AISLOADER_GET,
    AISLOADER_GETBATCH,
)
from aisbench.strategies.aisref_loaders import (
    AISREF_BATCH_ITER,
    AISREF_DATAPIPE,
    AISREF_ITER,
    AISREF_ITER_TENSORS,
    AISREF_MAP,
    AISREF_MAP_DYNAMIC,
    AISREF_MAP_TENSORS,
    AISREF_MULTISHARD,
    AISREF_PARALLEL_MAP,
    AISREF_SHARD_MAP,
    AISREF_SHARDS,
)
from aisbench.strategies.base import Strategy
from aisbench.strategies.official import (
    OFFICIAL_BATCH_ITER,
    OFFICIAL_ITER,
    OFFICIAL_MAP,
    OFFICIAL_MAP_DYNAMIC,
    OFFICIAL_PARALLEL_MAP,
    OFFICIAL_SHARDS,
)
from aisbench.strategies.requests_get import REQUESTS_GET
from aisbench.strategies.webdataset_http import WEBDATASET_HTTP

STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        AISREF_MAP, AISREF_ITER, AISREF_MAP_TENSORS, AISREF_ITER_TENSORS, AISREF_DATAPIPE,
        AISREF_SHARDS, AISREF_MULTISHARD,
        AISREF_SHARD_MAP, AISREF_BATCH_ITER, AISREF_PARALLEL_MAP, AISREF_MAP_DYNAMIC,
        OFFICIAL_MAP, OFFICIAL_ITER, OFFICIAL_SHARDS,
        OFFICIAL_BATCH_ITER, OFFICIAL_PARALLEL_MAP, OFFICIAL_MAP_DYNAMIC,
        WEBDATASET_HTTP, REQUESTS_GET,
        AISLOADER_GET, AISLOADER_GETBATCH, AISLOADER_ARCHIVE, AISLOADER_ARCHIVE_GETBATCH,
    )
}


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise UnknownName(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}") from None
