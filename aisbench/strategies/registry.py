"""Every strategy, by name: the one table the scenario loader and the runner consult.

The built-ins are listed here; plugins (plugins.py) join them the first time a name is asked
for that no built-in has, or the whole table is, so a run of built-ins never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import entry_points

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
    AISREF_PARALLEL_MAP_TENSORS,
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
from aisbench.strategies.plugins import (
    BUILT_IN,
    ENTRY_POINT_GROUP,
    EntryPointLike,
    PluginFailure,
    PluginScan,
    StrategySource,
    scan_plugins,
)
from aisbench.strategies.requests_get import REQUESTS_GET
from aisbench.strategies.webdataset_http import WEBDATASET_HTTP

# The built-in strategies; plugins join them in REGISTRY below.
STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        AISREF_MAP, AISREF_ITER, AISREF_MAP_TENSORS, AISREF_ITER_TENSORS, AISREF_DATAPIPE,
        AISREF_SHARDS, AISREF_MULTISHARD,
        AISREF_SHARD_MAP, AISREF_BATCH_ITER, AISREF_PARALLEL_MAP,
        AISREF_PARALLEL_MAP_TENSORS, AISREF_MAP_DYNAMIC,
        OFFICIAL_MAP, OFFICIAL_ITER, OFFICIAL_SHARDS,
        OFFICIAL_BATCH_ITER, OFFICIAL_PARALLEL_MAP, OFFICIAL_MAP_DYNAMIC,
        WEBDATASET_HTTP, REQUESTS_GET,
        AISLOADER_GET, AISLOADER_GETBATCH, AISLOADER_ARCHIVE, AISLOADER_ARCHIVE_GETBATCH,
    )
}


@dataclass(frozen=True)
class ListedStrategy:
    """One line of `aisbench strategies`: the strategy and where it comes from."""

    strategy: Strategy
    source: StrategySource


def installed_entry_points() -> Iterable[EntryPointLike]:
    return entry_points(group=ENTRY_POINT_GROUP)


class StrategyRegistry:
    """The built-ins, and the plugins ``find_entry_points`` yields, scanned once on demand."""

    def __init__(self, built_in: dict[str, Strategy],
                 find_entry_points: Callable[[], Iterable[EntryPointLike]]) -> None:
        self.built_in = built_in
        self._find_entry_points = find_entry_points

    @cached_property
    def _plugins(self) -> PluginScan:
        return scan_plugins(self._find_entry_points(), self.built_in)

    @property
    def failures(self) -> tuple[PluginFailure, ...]:
        return self._plugins.failures

    def get(self, name: str) -> Strategy:
        if name in self.built_in:
            return self.built_in[name]
        if name in self._plugins.strategies:
            return self._plugins.strategies[name][0]
        failed = "".join(f"; {failure}" for failure in self.failures)
        raise UnknownName(f"unknown strategy {name!r}; allowed: {', '.join(self.names())}"
                          f"{failed}")

    def names(self) -> list[str]:
        return [*self.built_in, *self._plugins.strategies]

    def everything(self) -> dict[str, Strategy]:
        return {**self.built_in,
                **{name: found[0] for name, found in self._plugins.strategies.items()}}

    def listing(self) -> list[ListedStrategy]:
        return [*(ListedStrategy(s, BUILT_IN) for s in self.built_in.values()),
                *(ListedStrategy(*found) for found in self._plugins.strategies.values())]


# The installed distributions' plugins; scanned at most once per process.
REGISTRY = StrategyRegistry(STRATEGIES, installed_entry_points)


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``, built-in or plugin; UnknownName lists the allowed names
    and any plugin that failed to load."""
    return REGISTRY.get(name)


def all_strategies() -> dict[str, Strategy]:
    """Every usable strategy by name: the built-ins, then the installed plugins'."""
    return REGISTRY.everything()


def strategy_listing() -> list[ListedStrategy]:
    """Every usable strategy with where it comes from (built-in, or distribution and version)."""
    return REGISTRY.listing()


def plugin_failures() -> tuple[PluginFailure, ...]:
    """The installed plugins that register nothing, each with its error."""
    return REGISTRY.failures
