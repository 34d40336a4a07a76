"""Objects that fake entry points in test_plugins.py load, as a plugin's module would hold them."""

from __future__ import annotations

from typing import Any

from aisbench.scenario import Case
from aisbench.strategies import OBJECTS, DatasetStrategy, StrategyContext


def _names(case: Case, ctx: StrategyContext) -> Any:
    return [f"{ctx.prefix}{index}" for index in range(case.dataset.count)]


GOOD = DatasetStrategy("fake-http", "a fake plugin loader", OBJECTS, _names, iterable=False)
SECOND = DatasetStrategy("fake-second", "another fake plugin loader", OBJECTS, _names,
                         iterable=False)
CLASHING = DatasetStrategy("requests-get", "a plugin that reuses a built-in's name", OBJECTS,
                           _names, iterable=False)
MISNAMED = DatasetStrategy("fake-other-name", "registered under another name", OBJECTS, _names,
                           iterable=False)
BAD_CEILING = DatasetStrategy("fake-ceiling", "names a ceiling that is no tool", OBJECTS, _names,
                              iterable=False, ceiling="requests-get")


class NoLoader:
    """Says what a strategy says about itself, but builds no loader."""

    name = "fake-no-loader"
    description = "no make_loader"
    dataset_kinds = OBJECTS
    ceiling = "aisloader"

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return None


NO_LOADER = NoLoader()
