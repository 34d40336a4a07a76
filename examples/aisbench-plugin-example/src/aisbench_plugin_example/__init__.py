"""An example aisbench strategy plugin: every object of the case's dataset streamed over plain
HTTP with `requests`, in 1 MiB chunks, the object list split over the DataLoader's workers.

`HTTP_STREAM` satisfies `aisbench.strategies.LoaderStrategy`; pyproject.toml registers it in
the ``aisbench.strategies`` entry-point group under its name.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
from torch.utils.data import IterableDataset, get_worker_info

from aisbench.scenario import Case
from aisbench.strategies import OBJECTS, DatasetStrategy, StrategyContext
from aisref.client import Client

CHUNK_BYTES = 1 << 20


class HttpStreamDataset(IterableDataset[tuple[str, bytes]]):
    """(url, bytes) for each URL; each DataLoader worker streams its own share with one session.

    Without the split every worker would read every object (torch gives an iterable dataset to
    each worker whole)."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        worker = get_worker_info()
        mine = self.urls if worker is None else self.urls[worker.id::worker.num_workers]
        with requests.Session() as session:
            for url in mine:
                with session.get(url, stream=True, timeout=(5, 60)) as response:
                    response.raise_for_status()
                    yield url, b"".join(response.iter_content(CHUNK_BYTES))


def stream_dataset(case: Case, ctx: StrategyContext) -> HttpStreamDataset:
    """The dataset of the case's objects, listed once in the main process."""
    bucket = Client(ctx.endpoint).bucket(ctx.bucket)
    names = [entry.name for entry in bucket.list_objects_iter(prefix=ctx.prefix, props="name")]
    return HttpStreamDataset([ctx.object_url(name) for name in names])


HTTP_STREAM = DatasetStrategy(
    "example-http-stream",
    "example plugin: each object streamed with requests in 1 MiB chunks, split over workers",
    OBJECTS, stream_dataset, iterable=True, applies_etl=False, ceiling="aisloader")
