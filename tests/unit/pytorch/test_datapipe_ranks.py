"""Which URLs AISFileLoader loads on each rank (no request is sent to choose them)."""

import pickle
from types import SimpleNamespace

import pytest
import torch.distributed

from aisref.pytorch import partition as partition_module
from aisref.pytorch.datapipes import AISFileLoader

URLS = [f"ais://b/o{i}" for i in range(7)]


def loader(**options) -> AISFileLoader:
    return AISFileLoader(URLS, url="http://127.0.0.1:1", **options)


def urls_of_rank(dataset: AISFileLoader, rank: int, world_size: int, monkeypatch) -> list[str]:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world_size))
    return list(dataset._urls_for_this_reader())


def test_two_ranks_load_four_urls_each_the_first_one_twice(monkeypatch):
    pipe = loader()
    assert [urls_of_rank(pipe, rank, 2, monkeypatch) for rank in range(2)] == [
        URLS[0:4],
        URLS[4:7] + URLS[:1],
    ]


def test_two_ranks_with_drop_last_load_three_each(monkeypatch):
    pipe = loader(drop_last=True)
    assert [urls_of_rank(pipe, rank, 2, monkeypatch) for rank in range(2)] == [
        URLS[0:3],
        URLS[3:6],
    ]


def test_split_by_rank_off_loads_every_url_on_every_rank(monkeypatch):
    assert urls_of_rank(loader(split_by_rank=False), 1, 2, monkeypatch) == URLS


def test_a_spawned_worker_loads_the_share_of_the_rank_that_pickled_it(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with monkeypatch.context() as main_process:
        main_process.setattr(torch.distributed, "is_initialized", lambda: True)
        main_process.setattr(torch.distributed, "get_rank", lambda group=None: 1)
        main_process.setattr(torch.distributed, "get_world_size", lambda group=None: 2)
        pickled = pickle.dumps(loader())
    info = SimpleNamespace(id=0, num_workers=1)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)
    assert list(pickle.loads(pickled)._urls_for_this_reader()) == URLS[4:7] + URLS[:1]


@pytest.mark.parametrize("worker", [0, 1])
def test_one_rank_streams_every_other_url_to_each_of_two_workers(monkeypatch, worker):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = SimpleNamespace(id=worker, num_workers=2)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)
    assert list(loader()._urls_for_this_reader()) == URLS[worker::2]
