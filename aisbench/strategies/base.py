"""The one small interface every loading strategy implements, and what it is given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aisbench.results import Measurement
from aisbench.scenario import Case, DatasetSpec

# What a loader yields per batch, counted inside the workers: (samples, payload bytes, payload).
CountedBatch = tuple[int, int, Any]


@dataclass(frozen=True)
class StrategyContext:
    """Where the case's data is: endpoint, bucket and the prefix every data object shares."""

    endpoint: str
    bucket: str
    prefix: str
    dataset: DatasetSpec
    etl_unavailable_reason: str | None = None  # None when the cluster runs ETL
    aisloader: Path | None = None

    def object_url(self, name: str) -> str:
        """The plain HTTP URL of one object (the proxy redirects it to a target)."""
        from urllib.parse import quote

        return f"{self.endpoint}/v1/objects/{self.bucket}/{quote(name, safe='')}?provider=ais"


class StrategyInfo(Protocol):
    """What every strategy says about itself, whatever it measures with."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def dataset_kinds(self) -> frozenset[str]: ...

    @property
    def ceiling(self) -> str:
        """The aisloader strategy that reads the way this one does: its ceiling in reports."""
        ...

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None: ...


@runtime_checkable
class LoaderStrategy(StrategyInfo, Protocol):
    """Builds a torch DataLoader-like iterable for a case; each `iter()` is one epoch."""

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]: ...


@runtime_checkable
class ToolStrategy(StrategyInfo, Protocol):
    """Measures with an external tool (aisloader) instead of a Python loader."""

    @property
    def loader_keys(self) -> frozenset[str]:
        """Loader settings (e.g. "batch_size") that change what the tool measures; the others
        do not apply to it, so its result holds across their values."""
        ...

    def measure(self, case: Case, ctx: StrategyContext, duration_s: float) -> Measurement: ...


Strategy = LoaderStrategy | ToolStrategy


def etl_skip_reason(case: Case, ctx: StrategyContext) -> str | None:
    """Why an ETL case cannot run here, or None. Nothing is ever transformed client-side."""
    if case.etl is not None and ctx.etl_unavailable_reason is not None:
        return f"ETL {case.etl.name!r} cannot run: {ctx.etl_unavailable_reason}"
    return None
