"""What a fault is to the suite: a key in the scenario file, its settings, and the steps it
adds to a run. Each fault module declares its own (`EpochFault`, `BenchFault` or
`OwnClusterFault`) beside its injection; `registry.FAULT_KINDS` lists them in the order a run
takes them, and the scenario schema and the suite are built from that list - so adding a fault
touches its module and the registry, nothing else.

The three shapes differ in what a step may use and when it runs:
- `EpochFault`: once per dataset and worker count, right after that loader's clean epoch, on
  the run's bench; the suite times it against that baseline.
- `BenchFault`: after every epoch fault, on the bench, with steps of its own.
- `OwnClusterFault`: last, after the bench is down, on a cluster it starts itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from aisbench.faults.bench import FaultBench
from aisbench.results import FaultOutcome


class FaultSettings(BaseModel):
    """A fault's settings as its scenario key takes them: strict (YAML "2" stays a string), a
    typo'd key is an error, frozen once validated."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class NoSettings(FaultSettings):
    """A fault without settings: ``{}`` or nothing after its key."""


@dataclass(frozen=True)
class Judged:
    """A step's outcome, and what the run keeps beside it (a soak's series, as JSON values)."""

    outcome: FaultOutcome
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One fault run: what it is (for the log and a harness-error row) and how to run it."""

    label: str
    run: Callable[[], FaultOutcome | Judged]


@dataclass(frozen=True)
class BenchSite:
    """What a bench fault's steps may use: the run's cluster and data, a scratch directory of
    the run's own, and the datasets and worker counts the scenario names."""

    bench: FaultBench
    state_root: Path
    datasets: tuple[str, ...]
    num_workers: tuple[int, ...]


S = TypeVar("S", bound=FaultSettings)


@dataclass(frozen=True)
class EpochFault(Generic[S]):
    """``run(settings, bench, dataset, workers)``: one epoch of that loader with the fault
    part-way. ``label`` names it in the log ("kill and restart")."""

    key: str
    settings: type[S]
    summary: str  # what the key takes, for error messages: "{restart_after_s}"
    label: str
    run: Callable[[S, FaultBench, str, int], FaultOutcome]


@dataclass(frozen=True)
class BenchFault(Generic[S]):
    key: str
    settings: type[S]
    summary: str
    steps: Callable[[S, BenchSite], Iterator[Step]]


@dataclass(frozen=True)
class OwnClusterFault(Generic[S]):
    """``steps(settings, state_dir, aisnode)``: ``state_dir`` is the fault's own."""

    key: str
    settings: type[S]
    summary: str
    steps: Callable[[S, Path, Path], Iterator[Step]]


FaultKind = EpochFault[Any] | BenchFault[Any] | OwnClusterFault[Any]
