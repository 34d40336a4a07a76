"""Listing a bucket of 100,000 objects: time and peak memory, recorded in ``extra_info``.

Opt-in: set ``AISBENCH_BIG=1``. Creating the objects is the slow part: 100,000 tiny PUTs took
470-600 s on the 2-core development machine (163-213 PUT/s with 16 threads), well over the
3 minutes a CI step should spend on it. The listing runs in a fresh subprocess that resets the
kernel's peak-RSS mark (VmHWM) after its imports and reads it after listing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aisref.client import Bucket, Client
from tests.integration.pytorch_fixtures import new_bucket, pt_endpoint

__all__ = ["pt_endpoint"]  # fixture used below

pytestmark = [
    pytest.mark.benchmark,
    pytest.mark.integration,
    pytest.mark.skipif(os.environ.get("AISBENCH_BIG") != "1",
                       reason="creates 100,000 objects (~8-10 min here); set AISBENCH_BIG=1"),
    pytest.mark.timeout(3600),
]

N_OBJECTS = 100_000
PUT_THREADS = 16
MiB = 1 << 20

# Runs in the subprocess; prints JSON: objects listed, seconds, the resident set before listing
# and its peak (VmHWM) while listing, in bytes.
# "stream" counts entries as pages arrive; "hold" keeps every entry, as a map dataset does.
MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from aisref.client import Client

    def peak_rss():
        with open("/proc/self/status") as status:
            line = next(x for x in status if x.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    endpoint, bucket_name, props, mode = sys.argv[1:5]
    bucket = Client(endpoint, timeout=(5.0, 300.0)).bucket(bucket_name)
    # Reset the kernel's peak (VmHWM) so the import-time peak does not hide the measured one.
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = peak_rss()
    start = time.monotonic()
    if mode == "hold":
        listed = len(list(bucket.list_objects_iter(props=props)))
    else:
        listed = sum(1 for _ in bucket.list_objects_iter(props=props))
    seconds = time.monotonic() - start
    after = peak_rss()
    print(json.dumps({"listed": listed, "seconds": seconds, "before": before, "after": after}))
    """
)


def object_name(index: int) -> str:
    return f"train/{index // 1000:03d}/sample-{index:06d}.bin"


@pytest.fixture(scope="module")
def bucket_of_100k(pt_endpoint: str) -> Iterator[tuple[Bucket, float]]:
    """The bucket, and how long the PUTs took (seconds)."""
    bucket = new_bucket(pt_endpoint, "100k")
    local = threading.local()

    def put(index: int) -> None:
        if not hasattr(local, "bucket"):  # one session per thread
            local.bucket = Client(pt_endpoint).bucket(bucket.name)
        local.bucket.object(object_name(index)).put_content(b"%d" % index)

    try:
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=PUT_THREADS) as pool:
            list(pool.map(put, range(N_OBJECTS)))
        yield bucket, time.monotonic() - start
    finally:
        bucket.delete(missing_ok=True)


@pytest.mark.parametrize(("props", "mode"), [("name", "stream"), ("name,size", "stream"),
                                            ("name,size", "hold")])
def test_bench_list_100k_objects(benchmark: Any, bucket_of_100k: tuple[Bucket, float],
                                 pt_endpoint: str, props: str, mode: str) -> None:
    bucket, put_seconds = bucket_of_100k

    def measure() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, pt_endpoint, bucket.name, props, mode],
            capture_output=True, text=True, timeout=600, check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update({
        "objects": N_OBJECTS, "props": props, "mode": mode, "list_seconds": result["seconds"],
        "rss_before_bytes": result["before"], "peak_rss_bytes": result["after"],
        "peak_rss_growth_bytes": result["after"] - result["before"],
        "put_seconds": put_seconds, "put_threads": PUT_THREADS,
    })
    assert result["listed"] == N_OBJECTS
