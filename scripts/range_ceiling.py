#!/usr/bin/env python3
"""How much can range-parallel reads of one large object gain on this machine at all?

    .venv/bin/aisbench cluster up
    .venv/bin/python scripts/range_ceiling.py http://127.0.0.1:<proxy port> [--rounds 6]

Puts one object (default 256 MiB, random bytes) in the bucket ``range-ceiling`` unless it is
there, then reads it whole, round after round, in turn: curl with one stream, curl with
``--ranges`` concurrent Range GETs, aisref's single-stream read into ``bytes`` and straight
into a buffer, and aisref's range-parallel read. Prints each way's median MiB/s and every
round's. curl's two lines bound what any client's range-parallel reads can gain over one
stream here (issue #12's 256 MiB target); the aisref lines say how close aisref comes.
"""

from __future__ import annotations

import argparse
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "impl"))

from aisref.client import Client, Object, ObjectNotFound


def ensure_object(endpoint: str, size: int) -> Object:
    bucket = Client(endpoint).bucket("range-ceiling").create(exist_ok=True)
    obj = bucket.object(f"object-{size}")
    try:
        if obj.head().size == size:
            return obj
    except ObjectNotFound:
        pass
    obj.put_content(os.urandom(size))
    return obj


def curl(url: str, byte_ranges: list[tuple[int, int]]) -> None:
    """GET ``url`` with one curl per byte range (one without a range if none), discarding."""
    ranges = byte_ranges or [(-1, -1)]
    procs = [subprocess.Popen(["curl", "-sfL", "-o", "/dev/null", url]
                              + ([] if first < 0 else ["-r", f"{first}-{last}"]))
             for first, last in ranges]
    if any(proc.wait() != 0 for proc in procs):
        raise SystemExit(f"curl failed on {url}")


def ways(obj: Object, url: str, size: int, ranges: int) -> dict[str, Callable[[], None]]:
    step = -(-size // ranges)
    byte_ranges = [(first, min(first + step, size) - 1) for first in range(0, size, step)]

    def into_buffer() -> None:
        obj.get_reader().read_all_into(lambda n: (m := mmap.mmap(-1, max(n, 1)), memoryview(m)))

    def range_parallel() -> None:
        with obj.get_reader(num_workers=ranges).read_all():
            pass

    return {
        "curl, one stream": lambda: curl(url, []),
        f"curl, {ranges} ranges at once": lambda: curl(url, byte_ranges),
        "aisref, one stream into bytes": lambda: obj.get_reader().read_all() and None,
        "aisref, one stream into a buffer": into_buffer,
        f"aisref, {ranges} ranges at once": range_parallel,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", help="the cluster's proxy, e.g. http://127.0.0.1:8080")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--ranges", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is not installed; it is the client-independent reference here")
    size = args.size_mib << 20
    obj = ensure_object(args.endpoint, size)
    url = f"{args.endpoint}/v1/objects/{obj.bucket.name}/{obj.name}?provider=ais"
    measured: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, read in ways(obj, url, size, args.ranges).items():
            start = time.perf_counter()
            read()
            measured.setdefault(name, []).append(args.size_mib / (time.perf_counter() - start))
    for name, rates in measured.items():
        print(f"{name:34s} median {statistics.median(rates):6.0f} MiB/s  "
              f"(rounds: {' '.join(f'{rate:.0f}' for rate in rates)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
