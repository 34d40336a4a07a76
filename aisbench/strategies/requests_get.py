"""The baseline: a map dataset doing one plain `requests.get` per object, nothing else."""

from __future__ import annotations

import requests

from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import OBJECTS, DatasetStrategy
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


def _plain_get(case: Case, ctx: StrategyContext) -> PlainGetDataset:
    bucket = Client(ctx.endpoint).bucket(ctx.bucket)
    return PlainGetDataset([ctx.object_url(entry.name)
                            for entry in bucket.list_objects_iter(prefix=ctx.prefix, props="name")])


REQUESTS_GET = DatasetStrategy(
    "requests-get", "plain requests.get per object in a map dataset (the baseline)",
    OBJECTS, _plain_get, iterable=False, applies_etl=False)
