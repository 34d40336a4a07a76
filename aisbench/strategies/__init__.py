"""The loaders under test, one registry: each builds a loader for a case (or measures with a
tool) and says when it cannot run here."""

from aisbench.strategies.base import CountedBatch, LoaderStrategy, StrategyContext, ToolStrategy
from aisbench.strategies.registry import STRATEGIES, get_strategy

__all__ = [
    "STRATEGIES",
    "CountedBatch",
    "LoaderStrategy",
    "StrategyContext",
    "ToolStrategy",
    "get_strategy",
]
