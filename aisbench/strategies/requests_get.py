"""The baseline: a map dataset doing one plain `requests.get` per object, nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import requests

from aisbench.scenario.model import Case
from aisbench.strategies.base import CountedBatch, StrategyContext
from aisbench.strategies.samples import make_dataloader
from aisref.client import Client


class PlainGetDataset:
    """index -> (url, bytes) with a per-process session created on first use."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._session: requests.Session | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"urls": self.urls, "_session": None}

    def __len__(self) -> int:
        return len(self.urls)

    def __getitem__(self, index: int) -> tuple[str, bytes]:
        if self._session is None:
            self._session = requests.Session()
        response = self._session.get(self.urls[index], timeout=(5, 60))
        response.raise_for_status()
        return self.urls[index], response.content


@dataclass(frozen=True)
class RequestsGet:
    name: str = "requests-get"
    description: str = "plain requests.get per object in a map dataset (the baseline)"
    dataset_kinds: frozenset[str] = frozenset({"objects"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        if case.etl is not None:
            return "the plain-GET baseline does not apply ETL"
        return None

    def make_loader(self, case: Case, ctx: StrategyContext) -> Iterable[CountedBatch]:
        bucket = Client(ctx.endpoint).bucket(ctx.bucket)
        urls = [ctx.object_url(entry.name)
                for entry in bucket.list_objects_iter(prefix=ctx.prefix, props="name")]
        return make_dataloader(PlainGetDataset(urls), case, iterable=False)
