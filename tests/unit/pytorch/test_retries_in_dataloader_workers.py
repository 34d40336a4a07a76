"""Retries made by DataLoader workers reach the main process's client (fork), or are theirs
alone without crashing (spawn)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from torch.utils.data import DataLoader, Dataset

from aisref.client import RequestClient
from aisref.pytorch import WorkerRequestClient
from tests.unit.client.fake_ais import FakeAIS, Reply, Seen, fast_client, running_fake

N_ITEMS = 6


class RetryingReads(Dataset[int]):
    """Item i is one GET of ``objects/b/<i>`` through a per-worker client, as datasets do."""

    def __init__(self, client: RequestClient) -> None:
        self.client = WorkerRequestClient(client)

    def __len__(self) -> int:
        return N_ITEMS

    def __getitem__(self, index: int) -> int:
        self.client.request("GET", f"objects/b/{index}").close()
        return index


@pytest.fixture
def fails_each_path_once() -> Iterator[FakeAIS]:
    """A fake that answers 503 to the first request for each path, 200 afterwards."""
    with running_fake() as fake:
        paths: set[str] = set()
        lock = threading.Lock()

        def route(seen: Seen) -> Reply:
            with lock:
                first = seen.path not in paths
                paths.add(seen.path)
            return Reply(503) if first else Reply(200, b"x")

        fake.route = route
        yield fake


def _read_all(client: RequestClient, context: str) -> list[int]:
    loader = DataLoader(RetryingReads(client), batch_size=None, num_workers=2,
                        multiprocessing_context=context)
    return sorted(loader)


def test_retries_in_forked_workers_are_counted_by_the_main_process_client(
    fails_each_path_once: FakeAIS,
) -> None:
    client = fast_client(fails_each_path_once.url)
    assert _read_all(client, "fork") == list(range(N_ITEMS))
    assert client.retries_made == N_ITEMS  # one per item, all made in the workers


def test_spawned_workers_get_a_pickled_client_and_count_on_their_own(
    fails_each_path_once: FakeAIS,
) -> None:
    client = fast_client(fails_each_path_once.url)
    assert _read_all(client, "spawn") == list(range(N_ITEMS))
    assert len(fails_each_path_once.seen) == 2 * N_ITEMS  # the workers did retry ...
    assert client.retries_made == 0  # ... in copies: the documented spawn limit
