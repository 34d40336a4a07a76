"""Dataset logic over an in-memory AISSource: listing, prefixes, splitting, batches."""

from __future__ import annotations

import pickle
import threading
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import torch.distributed

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


def read_as(dataset: AISIterDataset, monkeypatch, rank: int, world_size: int, worker: int = 0,
            num_workers: int = 1) -> list[str]:
    """Object names ``dataset`` yields as one DataLoader worker of one rank."""
    info = SimpleNamespace(id=worker, num_workers=num_workers)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world_size))
    return [name for name, _ in dataset]


@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 3), (2, 2), (3, 1), (3, 2)])
def test_iter_dataset_readers_read_each_object_once_plus_the_padding(
    source, monkeypatch, world_size, num_workers
):
    dataset = AISIterDataset(source)
    read: Counter[str] = Counter()
    for rank in range(world_size):
        for worker in range(num_workers):
            read.update(read_as(dataset, monkeypatch, rank, world_size, worker, num_workers))
    names = sorted(source.data)  # listing order
    padding = -len(names) % world_size  # 20 objects: none on 1 or 2 ranks, 1 on 3
    assert read == Counter(names) + Counter(names[:padding])


def test_iter_dataset_gives_three_ranks_seven_objects_each_reading_the_first_again(
    source, monkeypatch
):
    dataset = AISIterDataset(source)
    names = sorted(source.data)
    per_rank = [read_as(dataset, monkeypatch, rank, 3) for rank in range(3)]
    assert per_rank == [names[0:7], names[7:14], names[14:20] + names[:1]]


def test_iter_dataset_with_drop_last_gives_three_ranks_six_objects_each(source, monkeypatch):
    dataset = AISIterDataset(source, drop_last=True)
    names = sorted(source.data)
    per_rank = [read_as(dataset, monkeypatch, rank, 3) for rank in range(3)]
    assert per_rank == [names[0:6], names[6:12], names[12:18]]


@pytest.mark.parametrize(("drop_last", "want"), [(False, 7), (True, 6)])
def test_iter_dataset_length_is_per_rank(source, monkeypatch, drop_last, want):
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert len(AISIterDataset(source, drop_last=drop_last)) == want


def test_iter_dataset_with_split_by_rank_off_reads_everything_on_every_rank(
    source, monkeypatch
):
    dataset = AISIterDataset(source, split_by_rank=False)
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert len(dataset) == 20
    assert read_as(dataset, monkeypatch, rank=1, world_size=3) == sorted(source.data)


def test_a_spawned_worker_reads_the_share_of_the_rank_that_pickled_it(source, monkeypatch):
    """init_process_group(rank=1, world_size=2) without RANK in the environment: a spawned
    worker has neither the process group nor the variables, only what the pickle carries."""
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    dataset = AISIterDataset(source)
    with monkeypatch.context() as main_process:
        main_process.setattr(torch.distributed, "is_initialized", lambda: True)
        main_process.setattr(torch.distributed, "get_rank", lambda group=None: 1)
        main_process.setattr(torch.distributed, "get_world_size", lambda group=None: 2)
        pickled = pickle.dumps(dataset)
    worker_copy = pickle.loads(pickled)
    info = SimpleNamespace(id=0, num_workers=1)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)
    assert [name for name, _ in worker_copy] == sorted(source.data)[10:]


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


class _FirstReadWaitsForASecondThread(set[int]):
    """Reading threads, where the first read waits (up to 5 s) for another thread to read:
    on a loaded machine one thread could otherwise take every in-memory read before the
    others start, and the test would depend on timing."""

    def __init__(self) -> None:
        super().__init__()
        self._second = threading.Event()
        self._waited = False

    def add(self, ident: int) -> None:
        super().add(ident)
        if len(self) > 1:
            self._second.set()
        elif not self._waited:
            self._waited = True
            self._second.wait(5)


def test_map_dataset_batch_is_fetched_by_several_threads(source):
    source.threads = _FirstReadWaitsForASecondThread()
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


def test_a_dataset_whose_iterator_was_reset_still_pickles_for_spawned_workers(source):
    dataset = AISIterDataset(source)
    dataset._reset_iterator()  # a generator, which cannot be pickled
    copy = pickle.loads(pickle.dumps(dataset))
    assert [name for name, _ in copy] == sorted(source.data)
