"""Dataset logic over an in-memory AISSource: listing, prefixes, splitting, batches."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from aisref.client import AISSource, ETLConfig, RequestClient
from aisref.pytorch import AISIterDataset, AISMapDataset, WorkerRequestClient
from aisref.pytorch import partition as partition_module


class MemoryObject:
    def __init__(self, source: MemorySource, name: str) -> None:
        self.name = name
        self._source = source

    def get_reader(self, etl: ETLConfig | None = None, **_: Any) -> SimpleNamespace:
        self._source.reads.append((self.name, etl.name if etl else None))
        self._source.threads.add(threading.get_ident())
        return SimpleNamespace(read_all=lambda: self._source.data[self.name])


class MemorySource(AISSource):
    """Objects in a dict; records listings and reads."""

    def __init__(self, data: dict[str, bytes]) -> None:
        self.data = data
        self._client = RequestClient("http://127.0.0.1:1")
        self.listings: list[str] = []
        self.reads: list[tuple[str, str | None]] = []
        self.threads: set[int] = set()

    @property
    def client(self) -> RequestClient:
        return self._client

    @client.setter
    def client(self, client: RequestClient) -> None:
        self._client = client

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Any]:
        self.listings.append(prefix)
        return (MemoryObject(self, n) for n in sorted(self.data) if n.startswith(prefix))

    def list_urls(self, prefix: str = "", etl_name: str | None = None) -> Iterator[str]:
        return iter([])


@pytest.fixture
def source() -> MemorySource:
    return MemorySource({f"{d}/{i:02d}": bytes([i]) for d in ("x", "y") for i in range(10)})


def test_sources_get_a_worker_request_client(source):
    AISIterDataset(source)
    assert isinstance(source.client, WorkerRequestClient)


def test_listing_happens_once_at_construction_not_per_iteration(source):
    dataset = AISIterDataset(source)
    list(dataset)
    list(dataset)
    assert source.listings == [""]


def test_refresh_lists_again(source):
    dataset = AISIterDataset(source)
    source.data["z/new"] = b"n"
    dataset.refresh()
    assert "z/new" in {name for name, _ in dataset}


def test_prefix_map_entry_may_be_a_string(source):
    assert len(AISIterDataset(source, prefix_map={source: "x/"})) == 10


def test_prefix_map_entry_may_be_a_list(source):
    assert len(AISMapDataset(source, prefix_map={source: ["x/0", "y/"]})) == 20


def test_sources_without_prefix_entry_list_everything(source):
    other = MemorySource({"o": b"1"})
    dataset = AISMapDataset([source, other], prefix_map={source: "x/"})
    assert len(dataset) == 11


def test_empty_source_list_is_rejected():
    with pytest.raises(ValueError, match="ais_source_list is empty"):
        AISIterDataset([])


def test_non_source_is_rejected_with_how_to_make_one():
    with pytest.raises(TypeError, match="Client"):
        AISIterDataset(["ais://bucket"])  # type: ignore[list-item]


@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 3), (2, 2), (3, 1)])
def test_iter_dataset_readers_together_read_each_object_once(
    source, monkeypatch, world_size, num_workers
):
    dataset = AISIterDataset(source)
    read: Counter[str] = Counter()
    for rank in range(world_size):
        for worker in range(num_workers):
            info = SimpleNamespace(id=worker, num_workers=num_workers)
            monkeypatch.setattr(partition_module, "get_worker_info", lambda info=info: info)
            monkeypatch.setenv("RANK", str(rank))
            monkeypatch.setenv("WORLD_SIZE", str(world_size))
            read.update(name for name, _ in dataset)
    assert read == Counter(source.data.keys())


def test_etl_name_is_passed_to_every_read(source):
    list(AISIterDataset(source, prefix_map={source: "x/"}, etl_name="resize"))
    assert {etl for _, etl in source.reads} == {"resize"}


def test_without_etl_no_etl_is_requested(source):
    list(AISIterDataset(source, prefix_map={source: "x/"}))
    assert {etl for _, etl in source.reads} == {None}


def test_map_dataset_batch_comes_back_in_index_order(source):
    dataset = AISMapDataset(source)
    indices = [19, 3, 7, 0, 12, 5, 5]
    assert dataset.__getitems__(indices) == [dataset[i] for i in indices]


def test_map_dataset_batch_is_fetched_by_several_threads(source):
    dataset = AISMapDataset(source, batch_concurrency=4)
    dataset.__getitems__(list(range(20)))
    assert len(source.threads) > 1


def test_map_dataset_batch_error_names_the_bad_index(source):
    dataset = AISMapDataset(source)
    with pytest.raises(IndexError, match="index 25 is out of range"):
        dataset.__getitems__([1, 25, 2])


def test_map_dataset_accepts_negative_indices_like_a_list(source):
    dataset = AISMapDataset(source)
    assert dataset[-1] == dataset[len(dataset) - 1]
