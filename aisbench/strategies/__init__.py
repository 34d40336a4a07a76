"""The loaders under test, one registry: each builds a loader for a case (or measures with a
tool) and says when it cannot run here. Other distributions add theirs through the
``aisbench.strategies`` entry-point group (plugins.py); what a plugin may build on is exported
here."""

from aisbench.strategies.base import (
    CountedBatch,
    LoaderStrategy,
    Strategy,
    StrategyContext,
    StrategyInfo,
    ToolStrategy,
    etl_skip_reason,
)
from aisbench.strategies.dataset_strategy import OBJECTS, SHARDS, DatasetStrategy
from aisbench.strategies.plugins import ENTRY_POINT_GROUP, PluginFailure, StrategySource
from aisbench.strategies.registry import (
    STRATEGIES,
    ListedStrategy,
    all_strategies,
    get_strategy,
    plugin_failures,
    strategy_listing,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "OBJECTS",
    "SHARDS",
    "STRATEGIES",
    "CountedBatch",
    "DatasetStrategy",
    "ListedStrategy",
    "LoaderStrategy",
    "PluginFailure",
    "Strategy",
    "StrategyContext",
    "StrategyInfo",
    "StrategySource",
    "ToolStrategy",
    "all_strategies",
    "etl_skip_reason",
    "get_strategy",
    "plugin_failures",
    "strategy_listing",
]
