"""Every strategy, by name: the one table the scenario loader and the runner consult."""

from __future__ import annotations

from aisbench.strategies.aisloader import Aisloader
from aisbench.strategies.aisref_loaders import (
    AisrefDatapipe,
    AisrefIter,
    AisrefMap,
    AisrefMultiShard,
    AisrefShards,
)
from aisbench.strategies.base import Strategy
from aisbench.strategies.official import OfficialIter, OfficialMap, OfficialShards
from aisbench.strategies.requests_get import RequestsGet
from aisbench.strategies.webdataset_http import WebdatasetHttp

STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        AisrefMap(), AisrefIter(), AisrefDatapipe(), AisrefShards(), AisrefMultiShard(),
        OfficialMap(), OfficialIter(), OfficialShards(),
        WebdatasetHttp(), RequestsGet(), Aisloader(),
    )
}


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}") from None
