"""Micro-benchmarks: streaming tar parsing and ZeroDict batch collation (pure, no cluster)."""

from __future__ import annotations

import io
import tarfile

import pytest
from torch.utils.data import default_collate

from aisref.pytorch import ZeroDict
from aisref.pytorch.tar_stream import iter_samples, iter_tar_members

pytestmark = pytest.mark.benchmark

MEMBER_SIZE = 32 * 1024  # bytes
N_MEMBERS = 1024  # 32 MiB of member data


@pytest.fixture(scope="module")
def shard_bytes() -> bytes:
    buf = io.BytesIO()
    payload = bytes(range(256)) * (MEMBER_SIZE // 256)
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(N_MEMBERS):
            info = tarfile.TarInfo(f"sample-{i // 2:05d}.{('jpg', 'cls')[i % 2]}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def test_bench_tar_member_parsing(benchmark, shard_bytes):
    def parse() -> int:
        return sum(len(m.data) for m in iter_tar_members(io.BytesIO(shard_bytes), "bench"))

    benchmark.extra_info["bytes_per_round"] = len(shard_bytes)
    assert benchmark(parse) == MEMBER_SIZE * N_MEMBERS


def test_bench_tar_sample_grouping(benchmark, shard_bytes):
    def group() -> int:
        members = iter_tar_members(io.BytesIO(shard_bytes), "bench")
        return sum(1 for _ in iter_samples(members, "bench"))

    benchmark.extra_info["bytes_per_round"] = len(shard_bytes)
    assert benchmark(group) == N_MEMBERS // 2


def test_bench_zero_dict_collation(benchmark):
    seen = {"jpg", "cls", "txt", "json"}
    batch = [
        ZeroDict({"jpg": b"x" * 64, "cls": b"1"} if i % 3 else {"txt": b"t"}, seen)
        for i in range(256)
    ]
    collated = benchmark(default_collate, batch)
    assert len(collated["jpg"]) == 256
