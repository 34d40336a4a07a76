"""Two real torchrun ranks (gloo, CPU) read uneven data with DataLoader workers, DDP-style.

One torchrun job runs every case (dist_reader_job.py): each rank all-reduces once per step,
so unequal batch counts would hang it (bounded by the gloo and subprocess timeouts). Checked
here from what each rank wrote: no hang, equal step counts, ``len()`` per rank, and every
sample read exactly once apart from the documented padding (the first samples again) or
dropping (the last samples). Below them, in-process tests with RANK/WORLD_SIZE set by hand
check the shard counting against the real server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from aisref.client import Bucket, DataShard
from aisref.pytorch import AISMultiShardStream, AISShardReader, ShardCountChanged
from tests.integration.pytorch_fixtures import (
    ShardsBucket,
    make_shard,
    pt_endpoint,
    scratch_bucket,
    shards_bucket,
    temporary_bucket,
)

__all__ = ["pt_endpoint", "scratch_bucket", "shards_bucket"]  # fixtures used below

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
JOB = Path(__file__).with_name("dist_reader_job.py")
WORLD_SIZE = 2
JOB_TIMEOUT = 120  # seconds; the job takes ~15 s, a hang is cut by gloo's 30 s first

OBJECTS = [f"objs/obj-{i}" for i in range(7)]  # 7 objects: 2 ranks x 2 workers, uneven
SHARD_SAMPLES = {"shards/a.tar": 5, "shards/b.tar": 2, "shards/c.tar": 4}  # 11 samples
# Two streams of 7 members each, cut into shards at different places (tuples cross shards).
STREAM_SHARDS = {"img/": [3, 4], "lbl/": [2, 2, 3]}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # objects | shards | multishard
    prefixes: tuple[str, ...]
    start_method: str
    drop_last: bool = False
    split_by_rank: bool = True
    batch_size: int = 2


CASES = (
    Case("objects-fork", "objects", ("objs/",), "fork"),
    Case("objects-no-split", "objects", ("objs/",), "fork", split_by_rank=False),
    Case("shards-spawn", "shards", ("shards/",), "spawn"),
    Case("shards-drop-last", "shards", ("shards/",), "fork", drop_last=True, batch_size=3),
    Case("multishard-fork", "multishard", ("img/", "lbl/"), "fork"),
)


def sample_key(shard: str, i: int) -> str:
    return f"{Path(shard).stem}-{i}"


def put_data(bucket: Bucket) -> dict[str, list[str]]:
    """PUT every case's data; return each kind's sample names in listing order."""
    for name in OBJECTS:
        bucket.put_object(name, name.encode())
    for shard, samples in SHARD_SAMPLES.items():
        members = [(f"{sample_key(shard, i)}.{ext}", b"x") for i in range(samples) for ext in "ab"]
        bucket.put_object(shard, make_shard(members))
    for prefix, sizes in STREAM_SHARDS.items():
        position = 0
        for number, size in enumerate(sizes):
            numbers = range(position, position + size)
            members = [(f"m{n}.bin", f"{prefix}{n}".encode()) for n in numbers]
            bucket.put_object(f"{prefix}{number}.tar", make_shard(members))
            position += size
    return {
        "objects": OBJECTS,
        "shards": [sample_key(s, i) for s, n in SHARD_SAMPLES.items() for i in range(n)],
        "multishard": [f"img/{i}+lbl/{i}" for i in range(7)],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_torchrun(spec: Path, out_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "impl")]),
        "MASTER_ADDR": "127.0.0.1",
        "GLOO_SOCKET_IFNAME": "lo",
        "OMP_NUM_THREADS": "1",
    }
    command = [
        sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={WORLD_SIZE}",
        "--nnodes=1", "--master-addr=127.0.0.1", f"--master-port={free_port()}",
        str(JOB), str(spec), str(out_dir),
    ]  # fmt: skip
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=JOB_TIMEOUT, check=False
    )


def error_lines(stderr: str) -> list[str]:
    """The ranks' exception lines (a hang shows as gloo's timeout), not torchrun's banner."""
    return [line for line in stderr.splitlines() if "Error" in line][:20] or [stderr[-3000:]]


def expected_reads(names: list[str], case: Case) -> Counter[str]:
    """Over all ranks: each sample once, plus the first ones again (padding) or minus the last
    ones (drop_last), as partition.py documents; every rank reads all without the split."""
    if not case.split_by_rank:
        return Counter({name: WORLD_SIZE for name in names})
    if case.drop_last:
        return Counter(names[: len(names) // WORLD_SIZE * WORLD_SIZE])
    padding = -len(names) % WORLD_SIZE
    return Counter(names) + Counter(names[:padding])


@pytest.fixture(scope="module")
def dist_bucket(pt_endpoint: str) -> Iterator[Bucket]:
    with temporary_bucket(pt_endpoint, "dist") as bucket:
        yield bucket


@pytest.fixture(scope="module")
def job_results(
    pt_endpoint: str, dist_bucket: Bucket, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, list[str]], dict[str, list[dict[str, Any]]]]:
    """Sample names per kind, and per case what each rank wrote: one torchrun job for all."""
    names = put_data(dist_bucket)
    work = tmp_path_factory.mktemp("torchrun")
    spec = work / "spec.json"
    spec.write_text(json.dumps({
        "endpoint": pt_endpoint,
        "bucket": dist_bucket.name,
        "cases": [asdict(case) for case in CASES],
    }))  # fmt: skip
    proc = run_torchrun(spec, work)
    assert proc.returncode == 0, "torchrun failed:\n" + "\n".join(error_lines(proc.stderr))
    results = {
        case.name: [
            json.loads((work / f"{case.name}-rank{rank}.json").read_text())
            for rank in range(WORLD_SIZE)
        ]
        for case in CASES
    }
    return names, results


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_ranks_take_equal_steps_and_read_each_sample_once_apart_from_padding(job_results, case):
    names, results = job_results
    ranks = results[case.name]
    assert ranks[0]["steps"] == ranks[1]["steps"] > 0
    read = Counter(name for rank in ranks for name in rank["names"])
    assert read == expected_reads(names[case.kind], case)


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.kind != "multishard"], ids=lambda case: case.name
)
def test_length_is_what_each_rank_reads(job_results, case):
    _, results = job_results
    assert [rank["length"] for rank in results[case.name]] == [
        len(rank["names"]) for rank in results[case.name]
    ]


def test_the_padding_goes_to_the_last_rank(job_results):
    names, results = job_results
    shards = names["shards"]  # 11 samples: 6 each, rank 1 ends with the first sample again
    assert results["shards-spawn"][0]["names"] != results["shards-spawn"][1]["names"]
    assert sorted(results["shards-spawn"][1]["names"]) == sorted(shards[6:] + shards[:1])


# -- in one process, RANK/WORLD_SIZE set by hand: the counting against the real server --------


def read_as_rank(
    make: Any, rank: int, world_size: int, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world_size))
    return list(make())


def test_single_stream_multishard_splits_members_over_ranks_with_padding(
    shards_bucket: ShardsBucket, monkeypatch: pytest.MonkeyPatch
):
    members = shards_bucket.member_streams()  # 66 members, shards in listing order
    world_size = 4  # 17 each: the first 2 members again
    source = DataShard(shards_bucket.endpoint, shards_bucket.name)

    def make_stream() -> AISMultiShardStream:
        return AISMultiShardStream([source])

    per_rank = [
        [member for (member,) in read_as_rank(make_stream, rank, world_size, monkeypatch)]
        for rank in range(world_size)
    ]
    assert [len(rank_members) for rank_members in per_rank] == [17] * 4
    assert [m for rank_members in per_rank for m in rank_members] == members + members[:2]


def test_a_shard_holding_more_samples_than_its_listing_raises_naming_it(
    scratch_bucket: Bucket, monkeypatch: pytest.MonkeyPatch
):
    # "a" reappears after "b": the listing counts 2 keys, the reader yields 3 samples.
    members = [("a.jpg", b"1"), ("b.jpg", b"2"), ("a.cls", b"3")]
    scratch_bucket.put_object("split-key.tar", make_shard(members))
    with pytest.raises(ShardCountChanged, match=r"split-key\.tar: .* had 2 samples .* more"):
        read_as_rank(lambda: AISShardReader(scratch_bucket), 1, 2, monkeypatch)
