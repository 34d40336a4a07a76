#!/usr/bin/env python3
"""Where a Python client's CPU goes per MiB read from AIStore, beside the cluster's own.

    .venv/bin/aisbench cluster up
    .venv/bin/python scripts/cpu_per_mib.py http://127.0.0.1:<proxy port> [--size-kib 1024]

Puts ``--count`` objects of ``--size-kib`` in the bucket ``cpu-per-mib`` unless they are there,
then reads them all, round after round, each way in turn, in this one process: aisref's object
read into a tensor (proxy, redirect, target: two HTTP exchanges), aisref's GetBatch of 32, and
the same two exchanges on bare ``http.client`` with kept-alive connections into one reused
buffer (what a Python client costs without ``requests``). For each way it prints the median
MiB/s, this process's CPU per MiB and the cluster's (the CPU time of every ``aisnode`` process
on this machine: run it with no other cluster busy). The cluster and the client share the
machine's cores, so their sum per MiB bounds the MiB/s a way can reach here.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "impl"))

from aisref.client import Bucket, Client, ObjectNotFound
from aisref.pytorch.tensor_payloads import empty_payload

BUCKET = "cpu-per-mib"
MIB = 2**20


def ensure_objects(client: Client, count: int, size: int) -> list[str]:
    bucket = client.bucket(BUCKET).create(exist_ok=True)
    names = [f"{size}/{index:05d}" for index in range(count)]
    for name in names:
        try:
            if bucket.object(name).head().size == size:
                continue
        except ObjectNotFound:
            pass
        bucket.object(name).put_content(os.urandom(size))
    return names


def aisnode_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "aisnode":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_seconds_of(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class BareHTTP:
    """GET through the proxy's redirect on kept-alive ``http.client`` connections."""

    def __init__(self, endpoint: str, size: int) -> None:
        self.endpoint = urlsplit(endpoint)
        self.connections: dict[str, http.client.HTTPConnection] = {}
        self.buffer = memoryview(bytearray(size))

    def connection(self, netloc: str) -> http.client.HTTPConnection:
        if netloc not in self.connections:
            self.connections[netloc] = http.client.HTTPConnection(netloc)
        return self.connections[netloc]

    def read(self, name: str) -> int:
        proxy = self.connection(self.endpoint.netloc)
        proxy.request("GET", f"/v1/objects/{BUCKET}/{name}")
        reply = proxy.getresponse()
        reply.read()
        target = urlsplit(reply.getheader("Location") or "")
        node = self.connection(target.netloc)
        node.request("GET", f"{target.path}?{target.query}")
        body = node.getresponse()
        got = 0
        while count := body.readinto(self.buffer[got:]):
            got += count
        return got


def ways(client: Client, names: list[str], size: int) -> dict[str, Callable[[], int]]:
    bucket: Bucket = client.bucket(BUCKET)
    bare = BareHTTP(client.request_client.endpoint, size)

    def aisref_object() -> int:
        return sum(bucket.object(name).get_reader().read_all_into(empty_payload).numel()
                   for name in names)

    def aisref_get_batch() -> int:
        return sum(len(data) for start in range(0, len(names), 32)
                   for _, data in client.batch(names[start:start + 32], bucket=bucket).get())

    return {
        "aisref object into a tensor": aisref_object,
        "aisref GetBatch of 32": aisref_get_batch,
        "bare http.client, same two hops": lambda: sum(bare.read(name) for name in names),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", help="the cluster's proxy, e.g. http://127.0.0.1:8080")
    parser.add_argument("--size-kib", type=int, default=1024)
    parser.add_argument("--count", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    client = Client(args.endpoint)
    size = args.size_kib * 1024
    names = ensure_objects(client, args.count, size)
    pids = aisnode_pids()
    if not pids:
        raise SystemExit("no aisnode process on this machine: start the cluster first")
    chosen = ways(client, names, size)
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
    for _ in range(args.rounds):
        for name, read in chosen.items():
            cluster0, own0, start = cpu_seconds_of(pids), own_cpu_seconds(), time.perf_counter()
            mib = read() / MIB
            wall = time.perf_counter() - start
            rows[name].append((mib / wall, (own_cpu_seconds() - own0) * 1000 / mib,
                               (cpu_seconds_of(pids) - cluster0) * 1000 / mib))
    print(f"{args.count} objects of {args.size_kib} KiB, {args.rounds} rounds interleaved; "
          f"cluster CPU from {len(pids)} aisnode processes")
    print("| way | MiB/s (median) | client CPU ms/MiB | cluster CPU ms/MiB | every round MiB/s |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, values in rows.items():
        rates = [round(rate) for rate, _, _ in values]
        print(f"| {name} | {statistics.median(rates):,.0f} "
              f"| {statistics.median(v[1] for v in values):.2f} "
              f"| {statistics.median(v[2] for v in values):.2f} | {rates} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
