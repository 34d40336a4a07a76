"""A strategy that is "this torch dataset in a DataLoader": most strategies are exactly that."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aisbench.scenario import Case
from aisbench.strategies.base import CountedBatch, StrategyContext, etl_skip_reason
from aisbench.strategies.samples import make_dataloader

DatasetFactory = Callable[[Case, StrategyContext], Any]
# Batches of indices for a map dataset, instead of the DataLoader's batch_size (e.g. by bytes).
BatchSamplerFactory = Callable[[Any, Case], Iterable[list[int]]]


def always_available() -> str | None:
    return None


def accepts_every_case(case: Case) -> str | None:
    return None


@dataclass(frozen=True)
class DatasetStrategy:
    """Builds `dataset(case, ctx)` and wraps it in the case's DataLoader.

    `unavailable` says why the strategy cannot run on this machine (a missing package), or None.
    `applies_etl` is False for readers that cannot ask AIStore for an ETL: their ETL cases skip.
    `ceiling` names the aisloader strategy that reads the way this one does (reports set the
    two side by side). `batch_sampler`, for a map dataset, makes the batches of indices.
    `refuses` says why the loader cannot run a case's settings (e.g. DataLoader workers), or None.
    `ranks_unsupported` says why the loader cannot run over torch.distributed ranks (an
    iterable dataset that does not split by rank would have every rank read everything), or
    None; a map dataset is split by torch's DistributedSampler, as a training script does.
    """

    name: str
    description: str
    dataset_kinds: frozenset[str]
    dataset: DatasetFactory
    iterable: bool
    unavailable: Callable[[], str | None] = always_available
    applies_etl: bool = True
    ceiling: str = "aisloader"
    batch_sampler: BatchSamplerFactory | None = None
    refuses: Callable[[Case], str | None] = accepts_every_case
    ranks_unsupported: str | None = None

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        missing = self.unavailable() or self.refuses(case) or self.ranks_refusal(case)
        if missing:
            return missing
        if case.etl is not None and not self.applies_etl:
            return f"{self.name} reads plain objects; server-side ETL is not part of it"
        return etl_skip_reason(case, ctx)

    def ranks_refusal(self, case: Case) -> str | None:
        if case.loader.ranks == 1:
            return None
        if self.ranks_unsupported:
            return f"{self.name} cannot run over ranks: {self.ranks_unsupported}"
        if self.batch_sampler is not None:
            return (f"{self.name} cannot run over ranks: its batch sampler makes the batches "
                    "of the whole dataset and does not split them by rank")
        return None

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        dataset = self.dataset(case, ctx)
        sampler = self.batch_sampler(dataset, case) if self.batch_sampler else None
        return make_dataloader(dataset, case, iterable=self.iterable, batch_sampler=sampler)


OBJECTS = frozenset({"objects"})
SHARDS = frozenset({"shards"})


def etl_name(case: Case) -> str | None:
    return case.etl.name if case.etl else None
