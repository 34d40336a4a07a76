"""Range-parallel reads, AISParallelMapDataset and DynamicBatchSampler on the real cluster
(issue #12, items 3 and 4), against the official SDK 2.0.0 on the same buckets."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from aisref.client import Client, ObjectChangedDuringRead, ObjectNotFound, RequestClient
from aisref.pytorch import AISMapDataset, AISParallelMapDataset, DynamicBatchSampler
from aisref.pytorch.tensor_payloads import empty_payload
from tests.integration.pytorch_fixtures import (
    import_official_pytorch,
    pt_endpoint,
    scratch_bucket,
    temporary_bucket,
)

__all__ = ["pt_endpoint", "scratch_bucket"]  # fixtures used below

pytestmark = pytest.mark.integration

MiB = 1 << 20
# Sizes chosen to give the official reader (8 MiB ranges) one, two and three ranges, and
# the sampler budgets that fill exactly.
SIZES = {"a/tiny": 1, "a/small": 1000, "b/3m": 3 * MiB, "b/9m": 9 * MiB + 5, "c/17m": 17 * MiB}


@dataclass(frozen=True)
class SizedBucket:
    endpoint: str
    name: str
    contents: dict[str, bytes]


@pytest.fixture(scope="module")
def sized_bucket(pt_endpoint: str) -> Iterator[SizedBucket]:
    with temporary_bucket(pt_endpoint, "parallel") as bucket:
        contents = {name: os.urandom(size) for name, size in SIZES.items()}
        for name, data in contents.items():
            bucket.put_object(name, data)
        yield SizedBucket(pt_endpoint, bucket.name, contents)


def shm_entries() -> set[str]:
    return set(os.listdir("/dev/shm"))


def anonymous_shared_mappings() -> int:
    """This process's ``mmap(-1, n)`` mappings (``/dev/zero (deleted)`` in its maps)."""
    with open("/proc/self/maps") as maps:
        return sum("/dev/zero (deleted)" in line for line in maps)


# -- the parallel reader ---------------------------------------------------------------------


def test_parallel_read_of_64_mib_equals_the_single_stream_read(scratch_bucket: Any) -> None:
    data = os.urandom(64 * MiB + 12_345)  # the last range is short
    scratch_bucket.put_object("big", data)
    obj = scratch_bucket.object("big")
    single = obj.get_reader().read_all()
    with obj.get_reader(num_workers=4, chunk_size=5 * MiB).read_all() as buffer:
        assert buffer.buf == single
    assert single == data
    streamed = list(obj.get_reader(num_workers=3, chunk_size=7 * MiB))
    assert [len(part) for part in streamed[:-1]] == [7 * MiB] * (len(streamed) - 1)
    assert b"".join(streamed) == data
    maps_before = anonymous_shared_mappings()
    into = obj.get_reader(num_workers=4, chunk_size=5 * MiB).read_all_into(empty_payload)
    assert into.numpy().tobytes() == data
    assert anonymous_shared_mappings() == maps_before  # no shared buffer on this path


def after_first_range(monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]) -> threading.Event:
    """Run ``act`` (e.g. overwrite the object from another client) once the first Range GET
    has its reply: every range asked for later meets what ``act`` left."""
    overwritten = threading.Event()
    lock = threading.Lock()
    real_request = RequestClient.request

    def request(self: RequestClient, method: str, path: str, **kwargs: Any) -> Any:
        reply = real_request(self, method, path, **kwargs)
        if method == "GET" and "Range" in (kwargs.get("headers") or {}):
            with lock:
                if not overwritten.is_set():
                    act()
                    overwritten.set()
        return reply

    monkeypatch.setattr(RequestClient, "request", request)
    return overwritten


@pytest.mark.parametrize("how", ["read_all", "read_all_into", "iterate"])
def test_object_overwritten_between_ranges_is_a_typed_error_never_a_splice(
    scratch_bucket: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    old, new = os.urandom(4 * MiB), os.urandom(4 * MiB)  # same size: only the version tells
    scratch_bucket.put_object("moving", old)
    reader = scratch_bucket.object("moving").get_reader(num_workers=2, chunk_size=256 * 1024)
    writer = Client(scratch_bucket.client.endpoint).bucket(scratch_bucket.name).object("moving")
    overwritten = after_first_range(monkeypatch, lambda: writer.put_content(new))
    maps_before = anonymous_shared_mappings()
    with pytest.raises(ObjectChangedDuringRead) as caught:
        if how == "read_all":
            reader.read_all().close()
        elif how == "read_all_into":
            reader.read_all_into(empty_payload)
        else:
            b"".join(reader)
    assert overwritten.is_set()
    assert "ais://" in str(caught.value) and "moving" in str(caught.value)
    assert "Ais-Version '1' -> '2'" in str(caught.value)
    assert anonymous_shared_mappings() == maps_before  # the buffer is unmapped on the error
    monkeypatch.undo()
    assert scratch_bucket.object("moving").get_reader().read_all() == new


def test_object_deleted_mid_read_raises_and_leaves_no_buffer(
    scratch_bucket: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch_bucket.put_object("gone-soon", os.urandom(4 * MiB))
    reader = scratch_bucket.object("gone-soon").get_reader(num_workers=2, chunk_size=256 * 1024)
    other = Client(scratch_bucket.client.endpoint).bucket(scratch_bucket.name)
    deleted = after_first_range(monkeypatch, lambda: other.object("gone-soon").delete())
    shm_before, maps_before = shm_entries(), anonymous_shared_mappings()
    with pytest.raises(ObjectNotFound, match="gone-soon"):
        reader.read_all()
    assert deleted.is_set()
    assert shm_entries() == shm_before
    assert anonymous_shared_mappings() == maps_before


# -- AISParallelMapDataset -------------------------------------------------------------------


def test_parallel_map_dataset_gives_the_official_samples(sized_bucket: SizedBucket) -> None:
    from aistore.sdk import Client as OfficialClient

    official_module = import_official_pytorch()
    official_bucket = OfficialClient(sized_bucket.endpoint).bucket(sized_bucket.name)
    official = official_module.AISParallelMapDataset(official_bucket, num_workers=4)
    ours = AISParallelMapDataset(Client(sized_bucket.endpoint).bucket(sized_bucket.name), None, 4)
    assert len(ours) == len(official) == len(SIZES)
    for index in range(len(ours)):
        name, data = ours[index]
        official_name, buffer = official[index]
        with buffer:
            assert (name, data) == (official_name, buffer.tobytes())
        assert data == sized_bucket.contents[name]


def test_parallel_map_dataset_in_dataloader_workers(sized_bucket: SizedBucket) -> None:
    dataset = AISParallelMapDataset(
        Client(sized_bucket.endpoint).bucket(sized_bucket.name), {}, 3, chunk_size=2 * MiB
    )
    loader = DataLoader(dataset, batch_size=None, num_workers=2)
    assert dict(loader) == sized_bucket.contents


def test_parallel_map_dataset_tensors_from_dataloader_workers(sized_bucket: SizedBucket) -> None:
    dataset = AISParallelMapDataset(
        Client(sized_bucket.endpoint).bucket(sized_bucket.name), {}, 3, chunk_size=2 * MiB,
        tensor_payloads=True,
    )
    samples = list(DataLoader(dataset, batch_size=None, num_workers=2))
    assert all(tensor.dtype == torch.uint8 and tensor.is_shared() for _, tensor in samples)
    assert {name: tensor.numpy().tobytes() for name, tensor in samples} == sized_bucket.contents


def test_official_parallel_dataset_cannot_run_in_a_dataloader_worker(
    sized_bucket: SizedBucket,
) -> None:
    """Why ours uses threads: the official forks a process pool, which a DataLoader worker
    (a daemonic process) may not start."""
    from aistore.sdk import Client as OfficialClient

    official_module = import_official_pytorch()
    official = official_module.AISParallelMapDataset(
        OfficialClient(sized_bucket.endpoint).bucket(sized_bucket.name), num_workers=2
    )
    with pytest.raises(AssertionError, match="daemonic processes are not allowed"):
        next(iter(DataLoader(official, batch_size=None, num_workers=1)))


def test_dataloader_worker_killed_mid_read_leaves_nothing_in_dev_shm(
    scratch_bucket: Any,
) -> None:
    for i in range(3):
        scratch_bucket.put_object(f"big-{i}", os.urandom(48 * MiB))
    dataset = AISParallelMapDataset(scratch_bucket, num_workers=4, chunk_size=MiB)
    shm_before = shm_entries()
    loader = DataLoader(dataset, batch_size=None, num_workers=1)
    batches = iter(loader)
    worker = batches._workers[0]  # type: ignore[attr-defined]
    assert mid_read(worker.pid), "the worker never started its range threads"
    os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"exited unexpectedly|killed by signal"):
        for _ in batches:
            pass
    assert shm_entries() == shm_before


def mid_read(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` runs its range threads (4 of them beside its main thread)
    within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if len(os.listdir(f"/proc/{pid}/task")) >= 5:
                return True
        except FileNotFoundError:
            return False
        time.sleep(0.002)
    return False


# -- DynamicBatchSampler ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "options"),
    [
        (3 * MiB + 1001, {}),  # tiny+small+3m fill it exactly
        (10 * MiB, {"allow_oversized_samples": True}),
        (10 * MiB, {"drop_last": True, "saturation_factor": 0.5}),
        (12 * MiB, {"shuffle": True}),
    ],
)
def test_dynamic_batch_sampler_gives_the_official_batches(
    sized_bucket: SizedBucket, budget: int, options: dict[str, Any]
) -> None:
    from aistore.sdk import Client as OfficialClient

    official_module = import_official_pytorch()
    official_dataset = official_module.AISMapDataset(
        OfficialClient(sized_bucket.endpoint).bucket(sized_bucket.name)
    )
    dataset = AISMapDataset(Client(sized_bucket.endpoint).bucket(sized_bucket.name))
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        official = list(official_module.DynamicBatchSampler(official_dataset, budget, **options))
        torch.manual_seed(seed)
        ours = list(DynamicBatchSampler(dataset, budget, **options))
        assert ours == official and ours
    loader = DataLoader(dataset, batch_sampler=DynamicBatchSampler(dataset, budget, **options))
    for batch in loader:
        names, blobs = batch
        assert sum(len(blob) for blob in blobs) <= budget or len(names) == 1
