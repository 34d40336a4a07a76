"""aisref's side of each row of the README's Behaviour table that needs no cluster.

Each ``test_parity_<check>`` asserts what the row says aisref does; a change that removes a
documented deviation fails here until the row (and this test) say so. The rows needing the
real cluster are in tests/integration/test_parity_on_cluster.py.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from aisref.client import ETLConfig, ShardFormatError
from aisref.pytorch import (
    AISBaseIterDataset,
    AISIterDataset,
    AISMapDataset,
    AISShardReader,
)
from aisref.pytorch import partition as partition_module
from aisref.pytorch.datapipes import AISFileLoader
from aisref.pytorch.multishard import shard_members
from aisref.pytorch.partition import PartitionError
from aisref.pytorch.utils import parse_url
from tests.integration.pytorch_fixtures import make_shard
from tests.unit.pytorch.test_datasets_in_memory import MemorySource, read_as


def objects(prefix: str, count: int) -> dict[str, bytes]:
    return {f"{prefix}/{i:02d}": bytes([i]) for i in range(count)}


def as_worker(monkeypatch: pytest.MonkeyPatch, worker: int, num_workers: int) -> None:
    info = SimpleNamespace(id=worker, num_workers=num_workers)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)


def one_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)


class NamesOnly(AISBaseIterDataset[str]):
    """A user's subclass written the official way, through the hooks."""

    def __iter__(self) -> Iterator[str]:
        self._reset_iterator()
        worker_iter, self.worker_name = self._get_worker_iter_info()
        for obj in worker_iter:
            yield obj.name


def test_parity_hooks(monkeypatch):
    one_rank(monkeypatch)
    source = MemorySource(objects("x", 10))
    dataset = NamesOnly(source)
    dataset._reset_iterator()
    assert [obj.name for obj in dataset._obj_iterator or []] == sorted(source.data)
    assert source.listings == [""]  # the reset listed nothing again
    as_worker(monkeypatch, 1, 3)
    assert list(dataset) == sorted(source.data)[4:7]  # contiguous, not every 3rd
    assert dataset.worker_name == " (Worker 1)"
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert list(dataset) == sorted(source.data)[7:9]  # rank 1 has 5..9; worker 1 of 3: 7, 8
    assert dataset.worker_name == " (Rank 1, Worker 1)"


def test_parity_listing_once(monkeypatch):
    one_rank(monkeypatch)
    source = MemorySource(objects("x", 6))
    dataset = AISIterDataset(source)
    for worker in range(3):
        as_worker(monkeypatch, worker, 3)
        list(dataset)
    len(dataset)
    assert source.listings == [""]
    dataset.refresh()
    assert source.listings == ["", ""]


def test_parity_partition_sources_by_worker(monkeypatch):
    one_rank(monkeypatch)
    sources = [MemorySource(objects(f"s{i}", 3)) for i in range(4)]
    dataset = AISIterDataset(sources, partition_sources_by_worker=True)
    assert [s.listings for s in sources] == [[], [], [], []]  # nothing at construction
    as_worker(monkeypatch, 1, 2)
    names = [name for name, _ in dataset]
    assert names == sorted(sources[1].data) + sorted(sources[3].data)
    assert [len(s.listings) for s in sources] == [0, 1, 0, 1]  # it listed its own share
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(PartitionError, match="split_by_rank=False"):
        AISIterDataset(sources, partition_sources_by_worker=True)
    unsplit = AISIterDataset(sources, partition_sources_by_worker=True, split_by_rank=False)
    assert [name for name, _ in unsplit] == names


def test_parity_iter_len(monkeypatch):
    source = MemorySource(objects("x", 10))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    dataset = AISIterDataset(source)
    assert len(dataset) == 3  # ceil(10 / 4), this rank's share
    assert source.listings == [""] and source.reads == []  # no listing or read per call
    assert len(read_as(dataset, monkeypatch, rank=1, world_size=4)) == 3


class TrackedBody(io.BytesIO):
    """A shard's body that refuses to be read whole in one call."""

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the whole shard was asked for at once")
        return super().read(size)


class ShardObject:
    """A fake shard in a fake bucket: its bytes, its archive listing and its reads."""

    def __init__(self, name: str, data: bytes, listed: list[str]) -> None:
        self.name = name
        self.uname = f"ais://fake/{name}"
        self.body = TrackedBody(data)
        self.bucket = SimpleNamespace(list_archive=lambda _: listed)
        self.etls: list[str | None] = []

    def get_reader(self, etl: ETLConfig | None = None, **_: Any) -> SimpleNamespace:
        self.etls.append(etl.name if etl else None)
        return SimpleNamespace(raw=lambda: self.body, read_all=self.body.getvalue)


class ShardSource(MemorySource):
    """A source listing the given fake shards."""

    def __init__(self, *shards: ShardObject) -> None:
        super().__init__({})
        self.shards = shards

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Any]:
        return iter(self.shards)


def test_parity_shard_streaming(monkeypatch):
    one_rank(monkeypatch)
    members = [(f"s{i}.bin", bytes([i]) * 100_000) for i in range(10)]
    shard = ShardObject("big.tar", make_shard(members), [name for name, _ in members])
    samples = iter(AISShardReader(ShardSource(shard)))
    key, fields = next(samples)
    assert (key, fields["bin"]) == ("s0", members[0][1])
    assert shard.body.tell() < len(shard.body.getvalue()) // 2  # read as it streams
    assert len(list(samples)) == 9


def test_parity_sample_keys(monkeypatch):
    one_rank(monkeypatch)
    members = [("a/x.seg.png", b"1"), ("a/x.cls", b"2"), ("b/x.seg.png", b"3")]
    shard = ShardObject("s.tar", make_shard(members), [name for name, _ in members])
    samples = list(AISShardReader(ShardSource(shard)))
    assert [key for key, _ in samples] == ["a/x", "b/x"]  # the official: one sample "x"
    assert [fields["seg.png"] for _, fields in samples] == [b"1", b"3"]  # official: "png"
    assert samples[0][1]["cls"] == b"2"


def test_parity_shard_errors(monkeypatch):
    one_rank(monkeypatch)
    shard = ShardObject("notes.tar", b"plain text, not a tar archive\n" * 50, [])
    with pytest.raises(ShardFormatError, match=r"ais://fake/notes\.tar"):
        list(AISShardReader(ShardSource(shard)))


def test_parity_multishard_etl_order():
    members = [("b.txt", b"B"), ("a.txt", b"A")]
    listed = ["a.txt", "b.txt"]
    shard: Any = ShardObject("s.tar", make_shard(members), listed)
    assert list(shard_members(shard, listed, ETLConfig("identity"))) == [b"B", b"A"]  # tar order
    assert shard.etls == ["identity"]  # one read of the whole shard, through the ETL
    plain: Any = ShardObject("s.tar", make_shard(members), listed)
    assert list(shard_members(plain, listed, None)) == [b"A", b"B"]  # listing order


class MeetingSource(MemorySource):
    """Its first two reads wait for each other: they pass only if they run concurrently."""

    def __init__(self, data: dict[str, bytes]) -> None:
        super().__init__(data)
        self.meeting = threading.Barrier(2, timeout=10)
        self.waiting = itertools.count()

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Any]:
        for obj in super().list_all_objects_iter(prefix, props):
            yield SimpleNamespace(name=obj.name, get_reader=self._meet_then(obj.get_reader))

    def _meet_then(self, get_reader: Any) -> Any:
        def reader(**options: Any) -> Any:
            if next(self.waiting) < 2:
                self.meeting.wait()  # BrokenBarrierError after 10 s alone
            return get_reader(**options)

        return reader


def test_parity_map_getitems():
    source = MeetingSource(objects("x", 16))
    dataset = AISMapDataset(source, get_batch=False)  # GetBatch: tests/integration/test_get_batch
    batch = dataset.__getitems__(list(range(16)))
    assert batch == [(name, source.data[name]) for name in sorted(source.data)]


def test_parity_loader_len(monkeypatch):
    one_rank(monkeypatch)
    urls = [f"ais://b/o{i}" for i in range(5)]
    assert len(AISFileLoader(urls, "http://127.0.0.1:1")) == 5  # as the official
    assert len(AISFileLoader(urls, "http://127.0.0.1:1", 9)) == 9  # the official gives 5
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert len(AISFileLoader(urls, "http://127.0.0.1:1")) == 3  # this rank's share


def test_parity_parse_url():
    from aistore.pytorch.utils import parse_url as official_parse_url

    assert parse_url("ais://b/x/y.jpg") == official_parse_url("ais://b/x/y.jpg")
    assert parse_url("ais://b/what?.jpg") == ("ais", "b", "what?.jpg")
    assert official_parse_url("ais://b/what?.jpg") == ("ais", "b", "what")
