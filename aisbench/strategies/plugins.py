"""Strategies from other distributions, registered in the ``aisbench.strategies`` entry-point
group (see README, "Your own loader"):

    [project.entry-points."aisbench.strategies"]
    my-loader = "my_package.loader:MY_LOADER"

``MY_LOADER`` is an object satisfying `LoaderStrategy` or `ToolStrategy` (base.py) whose
``name`` is the entry point's name. `scan_plugins` is a pure function of the entry points it is
given, so it is tested with fakes; the registry calls it once, on the first name it does not know.
A plugin that fails to import or to satisfy the protocol becomes a `PluginFailure` naming its
distribution, entry point and error; the other plugins and every built-in still run.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol

from aisbench.scenario import NAME_SYNTAX
from aisbench.strategies.base import LoaderStrategy, Strategy, ToolStrategy

ENTRY_POINT_GROUP = "aisbench.strategies"
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # scenario.NAME_SYNTAX: case ids carry it


class DistributionLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


class EntryPointLike(Protocol):
    """What discovery reads of an `importlib.metadata.EntryPoint`."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def dist(self) -> DistributionLike | None: ...

    def load(self) -> Any: ...


@dataclass(frozen=True)
class StrategySource:
    """Where a strategy comes from: aisbench itself (no distribution), or a plugin."""

    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None  # "name = module:object"

    @property
    def built_in(self) -> bool:
        return self.distribution is None

    def __str__(self) -> str:
        return "built-in" if self.distribution is None else f"{self.distribution} {self.version}"


BUILT_IN = StrategySource()


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that registers nothing: which distribution, which entry point, and why."""

    distribution: str  # "name version"
    entry_point: str  # "name = module:object"
    error: str

    def __str__(self) -> str:
        return (f"plugin {self.distribution}, entry point {self.entry_point!r} "
                f"(group {ENTRY_POINT_GROUP}): {self.error}")


@dataclass(frozen=True)
class PluginScan:
    """What the installed plugins register (name -> strategy, source) and what failed."""

    strategies: Mapping[str, tuple[Strategy, StrategySource]]
    failures: tuple[PluginFailure, ...]


class PluginRejected(Exception):
    """Why a loaded entry point's object is not a usable strategy (becomes a PluginFailure)."""


def _source_of(entry_point: EntryPointLike) -> StrategySource:
    dist = entry_point.dist
    return StrategySource(distribution=dist.name if dist else "(unknown distribution)",
                          version=dist.version if dist else "?",
                          entry_point=f"{entry_point.name} = {entry_point.value}")


def _protocol_members(protocol: type) -> set[str]:
    """The public names a protocol (with its bases) asks for."""
    return {name for cls in protocol.__mro__ if cls not in (Protocol, Generic, object)
            for name in vars(cls) if not name.startswith("_")}


def _missing_members(obj: object) -> str | None:
    """None when ``obj`` satisfies LoaderStrategy or ToolStrategy; else what is missing from the
    protocol it comes closest to."""
    if isinstance(obj, LoaderStrategy | ToolStrategy):
        return None
    gaps = {protocol.__name__: sorted(m for m in _protocol_members(protocol)
                                      if not hasattr(obj, m))
            for protocol in (LoaderStrategy, ToolStrategy)}
    closest = min(gaps, key=lambda name: len(gaps[name]))
    return f"{closest} needs {', '.join(gaps[closest])}"


def check_strategy(obj: object, entry_point_name: str,
                   built_in: Mapping[str, Strategy]) -> Strategy:
    """``obj`` as a strategy, or PluginRejected saying what is wrong with it."""
    if isinstance(obj, type):  # its methods would pass the protocol check, unbound
        raise PluginRejected(f"the entry point names the class {obj.__name__}: name an instance "
                             f"of it (e.g. MY_LOADER = {obj.__name__}(...))")
    missing = _missing_members(obj)
    if missing is not None:
        raise PluginRejected(f"{type(obj).__name__} object does not satisfy the strategy "
                             f"protocol (aisbench.strategies.LoaderStrategy or ToolStrategy): "
                             f"{missing}")
    assert isinstance(obj, LoaderStrategy | ToolStrategy)
    name = obj.name
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise PluginRejected(f"strategy name {name!r} is not a name: use {NAME_SYNTAX}")
    if name != entry_point_name:
        raise PluginRejected(f"the strategy calls itself {name!r} but is registered as "
                             f"{entry_point_name!r}: give the entry point the strategy's name")
    if not isinstance(obj.description, str):
        raise PluginRejected(f"description is {type(obj.description).__name__}, not str")
    kinds = obj.dataset_kinds
    if not isinstance(kinds, frozenset) or not kinds:
        raise PluginRejected(f"dataset_kinds is {kinds!r}: a non-empty frozenset of "
                             f"'objects' and/or 'shards'")
    ceilings = sorted(n for n, s in built_in.items() if isinstance(s, ToolStrategy))
    ceiling = built_in.get(obj.ceiling)
    own_ceiling = obj.ceiling == name and isinstance(obj, ToolStrategy)
    if not own_ceiling and not isinstance(ceiling, ToolStrategy):
        raise PluginRejected(f"ceiling {obj.ceiling!r} is not a built-in aisloader strategy; "
                             f"allowed: {', '.join(ceilings)}")
    if ceiling is not None and not kinds <= ceiling.dataset_kinds:
        raise PluginRejected(f"dataset_kinds {sorted(kinds)} are not all read by its ceiling "
                             f"{obj.ceiling!r} ({sorted(ceiling.dataset_kinds)})")
    return obj


def _error_text(exc: BaseException) -> str:
    """"Type: message (at file:line)" - the innermost frame is where the plugin broke."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def scan_plugins(entry_points: Iterable[EntryPointLike],
                 built_in: Mapping[str, Strategy]) -> PluginScan:
    """Load every entry point; keep the strategies that are whole, name the ones that are not.

    A name that a built-in already has, or that two plugins both register, is refused: a
    scenario naming it must not silently get a different loader than its author meant.
    """
    loaded: dict[str, list[tuple[Strategy, StrategySource]]] = {}
    failures: list[PluginFailure] = []
    for entry_point in entry_points:
        source = _source_of(entry_point)
        where = str(source), str(source.entry_point)
        try:
            strategy = check_strategy(entry_point.load(), entry_point.name, built_in)
        except PluginRejected as exc:
            failures.append(PluginFailure(*where, str(exc)))
            continue
        except Exception as exc:  # another project's code: name it and run the rest
            failures.append(PluginFailure(*where, _error_text(exc)))
            continue
        if strategy.name in built_in:
            failures.append(PluginFailure(*where, (
                f"strategy {strategy.name!r} clashes with the built-in strategy "
                f"{strategy.name!r} of aisbench; the built-in is kept: rename the plugin's "
                f"strategy (and its entry point)")))
            continue
        loaded.setdefault(strategy.name, []).append((strategy, source))
    strategies = {}
    for name, found in loaded.items():
        if len(found) == 1:
            strategies[name] = found[0]
            continue
        for _, source in found:
            others = "; ".join(f"{other} ({other.entry_point})" for _, other in found
                               if other is not source)
            failures.append(PluginFailure(str(source), str(source.entry_point), (
                f"strategy {name!r} is also registered by {others}: neither is used; "
                f"uninstall one or rename its strategy")))
    return PluginScan(strategies=strategies, failures=tuple(failures))
