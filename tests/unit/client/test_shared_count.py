"""SharedCount and retries_made: retries made in forked children reach the parent's count."""

from __future__ import annotations

import copy
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable

import pytest

from aisref.client import RequestClient, SharedCount
from tests.unit.client.fake_ais import FakeAIS, Reply, fast_client

FORK = multiprocessing.get_context("fork")


def _run_in_fork(target: Callable[..., object], *args: object) -> None:
    child = FORK.Process(target=target, args=args)
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0


def _add(count: SharedCount, times: int) -> None:
    for _ in range(times):
        count.add()


def _get(client: RequestClient) -> None:
    client.request("GET", "buckets/b")


def test_adds_of_forked_children_are_seen_by_the_parent() -> None:
    count = SharedCount()
    children = [FORK.Process(target=_add, args=(count, 500)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert count.value == 1500


def test_adds_from_threads_are_not_lost() -> None:
    count = SharedCount()
    threads = [threading.Thread(target=_add, args=(count, 2000)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count.value == 8000


def test_retry_made_in_a_forked_child_is_counted_by_the_parent_client(
    fake_ais: FakeAIS,
) -> None:
    fake_ais.script(Reply(503), Reply(200))
    client = fast_client(fake_ais.url)
    _run_in_fork(_get, client)
    assert client.retries_made == 1


def test_pickled_client_keeps_its_count_and_then_counts_on_its_own() -> None:
    client = RequestClient("http://127.0.0.1:1")
    client.retry_count.add(2)
    copy_ = pickle.loads(pickle.dumps(client))
    copy_.retry_count.add()
    assert (client.retries_made, copy_.retries_made) == (2, 3)


def test_deep_copy_counts_on_its_own_and_shallow_copy_shares() -> None:
    client = RequestClient("http://127.0.0.1:1")
    deep, shallow = copy.deepcopy(client), copy.copy(client)
    deep.retry_count.add()
    shallow.retry_count.add()
    assert (client.retries_made, deep.retries_made) == (1, 1)


def test_a_count_passed_in_is_shared_and_a_clone_starts_at_zero() -> None:
    parent = RequestClient("http://127.0.0.1:1")
    parent.retry_count.add()
    child = RequestClient("http://127.0.0.1:1", retry_count=parent.retry_count)
    child.retry_count.add()
    assert (parent.retries_made, child.retries_made, parent.clone().retries_made) == (2, 2, 0)


def test_retries_made_can_be_set() -> None:
    client = RequestClient("http://127.0.0.1:1")
    client.retries_made = 5
    assert client.retry_count.value == 5


def test_without_shared_memory_the_count_is_process_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork(method: str) -> None:
        raise ValueError(f"cannot find context for {method!r}")

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    count = SharedCount(1)
    _add(count, 2)
    assert (count.shared, count.value) == (False, 3)
    assert pickle.loads(pickle.dumps(count)).value == 3


def test_a_lock_left_held_by_a_dead_worker_neither_hangs_adds_nor_reads():
    from aisref.client.shared_count import SharedCount

    count = SharedCount()
    if not count.shared:
        pytest.skip("no fork-shared memory on this machine")

    def die_holding_the_lock() -> None:
        count._shared.get_lock().acquire()  # as a worker killed inside add() would leave it
        os._exit(0)

    child = multiprocessing.get_context("fork").Process(target=die_holding_the_lock)
    child.start()
    child.join(timeout=10)
    assert child.exitcode == 0
    assert count.value == 0  # a read never waits on the lock
    started = time.monotonic()
    count.add(2)  # waits out the timeout, then counts anyway
    assert count.value == 2
    assert time.monotonic() - started >= 0.9  # it did meet the held lock
