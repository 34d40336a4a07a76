"""Reading a 1 GiB object streams: peak RSS grows by buffers, not by the object.

The object is PUT from a generator of 1 MiB chunks (no 1 GiB buffer on our side). Each read
runs in a fresh subprocess that resets the kernel's peak-RSS mark (VmHWM) once its imports are
done, then reads, once through ``ObjectReader`` iteration and once through ``raw()``;
pytest-benchmark times the read and records the memory in ``extra_info``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from aisref.client import Bucket
from tests.integration.pytorch_fixtures import new_bucket, pt_endpoint

__all__ = ["pt_endpoint"]  # fixture used below

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]

MiB = 1 << 20
OBJECT_SIZE = 1024 * MiB  # bytes
CHUNK = 1 * MiB  # bytes per PUT chunk
RSS_GROWTH_LIMIT = 64 * MiB  # bytes: generous for buffers, 1/16 of the object

# Runs in the subprocess; prints JSON: the resident set just before reading and its peak
# (VmHWM) while reading, in bytes, and the bytes read.
MEASURE = textwrap.dedent(
    """
    import json, sys
    from aisref.client import Client

    def peak_rss():
        with open("/proc/self/status") as status:
            line = next(x for x in status if x.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    endpoint, bucket_name, object_name, mode = sys.argv[1:5]
    reader = Client(endpoint, timeout=(5.0, 300.0)).bucket(bucket_name).object(
        object_name).get_reader()
    # Reset the kernel's peak (VmHWM) so the import-time peak does not hide the measured one.
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = peak_rss()
    n_bytes = 0
    if mode == "iterate":
        for chunk in reader:
            n_bytes += len(chunk)
    else:
        with reader.raw() as stream:
            while block := stream.read(1 << 20):
                n_bytes += len(block)
    after = peak_rss()
    print(json.dumps({"before": before, "after": after, "bytes": n_bytes}))
    """
)


def chunks() -> Iterator[bytes]:
    """OBJECT_SIZE bytes, one CHUNK at a time."""
    block = bytes(range(256)) * (CHUNK // 256)
    for _ in range(OBJECT_SIZE // CHUNK):
        yield block


@pytest.fixture(scope="module")
def big_object_bucket(pt_endpoint: str) -> Iterator[Bucket]:
    bucket = new_bucket(pt_endpoint, "gib")
    bucket.object("one-gib.bin").put_content(chunks())
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


def measure_read(endpoint: str, bucket: Bucket, mode: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, endpoint, bucket.name, "one-gib.bin", mode],
        capture_output=True, text=True, timeout=600, check=True,
    )
    result: dict[str, int] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("mode", ["iterate", "raw"])
def test_bench_one_gib_read_peak_rss_is_far_below_object_size(
    benchmark: Any, big_object_bucket: Bucket, pt_endpoint: str, mode: str
) -> None:
    result = benchmark.pedantic(measure_read, args=(pt_endpoint, big_object_bucket, mode),
                                rounds=1, iterations=1)
    growth = result["after"] - result["before"]
    benchmark.extra_info.update({
        "object_bytes": OBJECT_SIZE, "mode": mode, "rss_before_bytes": result["before"],
        "peak_rss_bytes": result["after"], "peak_rss_growth_bytes": growth,
    })
    assert result["bytes"] == OBJECT_SIZE
    assert growth < RSS_GROWTH_LIMIT
