"""Finding the aisref clients of a loader, to record the retries they made."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from aisbench.runner.retries import RetryCounter, find_request_clients, sees_worker_retries
from aisref.client import Bucket, RequestClient


class _Holder:
    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


def test_clients_are_found_through_datasets_lists_and_buckets() -> None:
    first, second = RequestClient("http://127.0.0.1:1"), RequestClient("http://127.0.0.1:2")
    loader = _Holder(dataset=_Holder(inner=_Holder(
        sources=[Bucket(first, "a"), Bucket(second, "b"), Bucket(first, "c")])))
    assert {id(c) for c in find_request_clients(loader)} == {id(first), id(second)}


def test_a_loader_without_aisref_clients_counts_nothing() -> None:
    assert RetryCounter(_Holder(dataset=[1, "two", {"three": 3.0}])).total() == 0


def test_counter_sums_retries_made_by_every_client() -> None:
    first, second = RequestClient("http://127.0.0.1:1"), RequestClient("http://127.0.0.1:2")
    counter = RetryCounter(_Holder(a=Bucket(first, "a"), b=Bucket(second, "b")))
    first.retries_made, second.retries_made = 2, 3
    assert counter.total() == 5


def test_walk_ends_on_cycles() -> None:
    client = RequestClient("http://127.0.0.1:1")
    a = _Holder(client=client)
    a.__dict__["self_ref"] = a
    assert find_request_clients(a) == [client]


def test_clients_sharing_one_count_are_summed_once() -> None:
    from aisref.pytorch import WorkerRequestClient

    client = RequestClient("http://127.0.0.1:1")
    loader = _Holder(dataset=_Holder(original=client, per_worker=WorkerRequestClient(client)))
    client.retries_made = 2
    assert RetryCounter(loader).total() == 2


def test_loader_without_workers_or_with_forked_workers_shows_worker_retries() -> None:
    data = _two_items()
    assert sees_worker_retries(DataLoader(data))
    assert sees_worker_retries(DataLoader(data, num_workers=2, multiprocessing_context="fork"))


def test_loader_with_spawned_workers_does_not_show_worker_retries() -> None:
    data = _two_items()
    assert not sees_worker_retries(
        DataLoader(data, num_workers=2, multiprocessing_context="spawn"))
    assert not RetryCounter(
        DataLoader(data, num_workers=2, multiprocessing_context="forkserver")).sees_workers


def _two_items() -> TensorDataset:
    return TensorDataset(torch.arange(2))
