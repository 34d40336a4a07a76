"""Peak memory of AISShardReader on a 256 MiB shard from the real cluster.

The reader streams: its peak RSS should grow by about one member plus buffers, not by the
shard. Measured in a fresh subprocess (``ru_maxrss``) so nothing else in the test process
counts, and timed once by pytest-benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Iterator

import pytest

from aisref.client import Bucket
from tests.integration.pytorch_fixtures import new_bucket, pt_endpoint

__all__ = ["pt_endpoint"]  # fixture used below

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]

MiB = 1 << 20
SHARD_SIZE = 256 * MiB  # bytes of member data
MEMBER_SIZE = 1 * MiB  # bytes; the largest sample part

# Runs in the subprocess; prints JSON with RSS before/after (bytes) and what was read.
MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from aisref.client import Client
    from aisref.pytorch import AISShardReader

    endpoint, bucket_name = sys.argv[1], sys.argv[2]
    dataset = AISShardReader(Client(endpoint).bucket(bucket_name))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    samples = n_bytes = 0
    for _, fields in dataset:
        samples += 1
        n_bytes += sum(len(v) for v in fields.values())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"before": before, "after": after, "samples": samples, "bytes": n_bytes}))
    """
)


def tar_chunks() -> Iterator[bytes]:
    """A tar of SHARD_SIZE / MEMBER_SIZE members, produced piece by piece (no 256 MiB buffer)."""
    block = bytes(range(256)) * (MEMBER_SIZE // 256)
    for i in range(SHARD_SIZE // MEMBER_SIZE):
        info = tarfile.TarInfo(f"sample-{i:05d}.bin")
        info.size = MEMBER_SIZE
        yield info.tobuf(format=tarfile.USTAR_FORMAT)
        yield block  # MEMBER_SIZE is a multiple of 512: no padding
    yield bytes(1024)  # end-of-archive


@pytest.fixture(scope="module")
def big_shard_bucket(pt_endpoint: str) -> Iterator[Bucket]:
    bucket = new_bucket(pt_endpoint, "rss")
    bucket.object("big-shard.tar").put_content(tar_chunks())
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


def test_bench_shard_reader_peak_rss_is_far_below_shard_size(
    benchmark, big_shard_bucket, pt_endpoint
):
    def measure() -> dict[str, int]:
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, pt_endpoint, big_shard_bucket.name],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    growth = result["after"] - result["before"]
    benchmark.extra_info.update(result, rss_growth_bytes=growth, shard_bytes=SHARD_SIZE)
    assert result["bytes"] == SHARD_SIZE
    assert growth < SHARD_SIZE // 8, f"peak RSS grew by {growth / MiB:.1f} MiB"
