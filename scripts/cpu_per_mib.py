#!/usr/bin/env python3
"""Where a Python client's CPU goes per MiB read from AIStore, beside the cluster's own.

    .venv/bin/aisbench cluster up
    .venv/bin/python scripts/cpu_per_mib.py http://127.0.0.1:<proxy port> [--size-kib 1024]

Puts ``--count`` objects of ``--size-kib`` in the bucket ``cpu-per-mib`` unless they are there,
then reads them all, round after round, each way in turn, in this one process: aisref's object
read into a tensor (proxy, redirect, target: two HTTP exchanges), aisref's GetBatch of 32, and
the same two exchanges on bare ``http.client`` with kept-alive connections into one reused
buffer (what a Python client costs without ``requests``), and aisloader (Go, 8 workers, the
harness's ceiling) reading the same objects for ``--aisloader-s`` seconds. For each way it
prints the median MiB/s, the client's CPU per MiB (this process, or aisloader's) and the
cluster's (the CPU time of its ``aisnode`` processes, when they run on this machine). The
cluster and the client share the machine's cores, so their sum per MiB bounds the MiB/s a way
can reach here.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "impl"))

from aisbench.cluster.binaries import find_binary
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.strategies.aisloader import AISLOADER_WORKERS, aisloader_argv, parse_get_stats
from aisbench.strategies.base import StrategyContext
from aisref.client import Bucket, Client, ObjectNotFound
from aisref.pytorch.tensor_payloads import empty_payload

BUCKET = "cpu-per-mib"
MIB = 2**20
REPO = Path(__file__).resolve().parents[1]

# A way: reads the objects once; returns bytes read, the client's CPU seconds and wall seconds.
Way = Callable[[], tuple[int, float, float]]


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


def aisnode_pids(client: Client) -> tuple[list[int], str]:
    """The cluster's aisnode processes on this machine, and how they were found: those whose
    command line names a node of its cluster map (``-daemon_id=<id>``, as local clusters
    start them), else every aisnode process here."""
    smap = client.request_client.request("GET", "daemon", params={"what": "smap"}).json()
    ids = {*(smap.get("pmap") or {}), *(smap.get("tmap") or {})}
    every: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "aisnode":
                    every[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
            except OSError:
                continue
    ours = [pid for pid, line in every.items()
            if any(f"-daemon_id={node} " in f"{line} " for node in ids)]
    if ours:
        return ours, f"{len(ours)} aisnode processes of its cluster map"
    return list(every), f"all {len(every)} aisnode processes here (none named its nodes)"


def cpu_seconds_of(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def in_this_process(read: Callable[[], int]) -> Way:
    def way() -> tuple[int, float, float]:
        cpu, start = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
        read_bytes = read()
        return read_bytes, cpu_seconds(resource.RUSAGE_SELF) - cpu, time.perf_counter() - start
    return way


def aisloader_way(binary: Path, endpoint: str, size: int, count: int, seconds: float) -> Way:
    """aisloader GETs of the same objects for ``seconds``: its bytes, its CPU (start-up and
    listing included) and the duration it reports (its start-up not included)."""
    dataset = DatasetSpec("objects", count, object_size=SizeRange(size, size))
    ctx = StrategyContext(endpoint, BUCKET, f"{size}/", dataset, aisloader=binary)

    def way() -> tuple[int, float, float]:
        with tempfile.TemporaryDirectory() as tmp:
            stats_file = Path(tmp) / "stats.json"
            before = cpu_seconds(resource.RUSAGE_CHILDREN)
            subprocess.run(aisloader_argv(binary, ctx, seconds, AISLOADER_WORKERS, stats_file),
                           check=True, stdout=subprocess.DEVNULL)
            used = cpu_seconds(resource.RUSAGE_CHILDREN) - before
            stats = parse_get_stats(json.loads(stats_file.read_text()))
            return int(stats["bytes"]), used, stats["duration_s"]
    return way


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


def ways(client: Client, names: list[str], size: int) -> dict[str, Way]:
    bucket: Bucket = client.bucket(BUCKET)
    bare = BareHTTP(client.request_client.endpoint, size)

    def aisref_object() -> int:
        return sum(bucket.object(name).get_reader().read_all_into(empty_payload).numel()
                   for name in names)

    def aisref_get_batch() -> int:
        return sum(len(data) for start in range(0, len(names), 32)
                   for _, data in client.batch(names[start:start + 32], bucket=bucket).get())

    return {
        "aisref object into a tensor": in_this_process(aisref_object),
        "aisref GetBatch of 32": in_this_process(aisref_get_batch),
        "bare http.client, same two hops": in_this_process(
            lambda: sum(bare.read(name) for name in names)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", help="the cluster's proxy, e.g. http://127.0.0.1:8080")
    parser.add_argument("--size-kib", type=int, default=1024)
    parser.add_argument("--count", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--aisloader-s", type=float, default=2.0,
                        help="seconds of aisloader per round (0: leave aisloader out)")
    args = parser.parse_args()
    client = Client(args.endpoint)
    size = args.size_kib * 1024
    names = ensure_objects(client, args.count, size)
    pids, found = aisnode_pids(client)
    if not pids:
        raise SystemExit("no aisnode process on this machine: start the cluster first")
    chosen = ways(client, names, size)
    if args.aisloader_s > 0:
        binary = find_binary("aisloader", REPO / ".ais")
        chosen[f"aisloader, {AISLOADER_WORKERS} workers"] = aisloader_way(
            binary, args.endpoint, size, args.count, args.aisloader_s)
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
    for _ in range(args.rounds):
        for name, read in chosen.items():
            cluster_before = cpu_seconds_of(pids)
            read_bytes, client_cpu, wall = read()
            if not read_bytes:
                raise SystemExit(f"{name}: read nothing from {BUCKET}")
            mib = read_bytes / MIB
            rows[name].append((mib / wall, client_cpu * 1000 / mib,
                               (cpu_seconds_of(pids) - cluster_before) * 1000 / mib))
    print(f"{args.count} objects of {args.size_kib} KiB, {args.rounds} rounds interleaved; "
          f"cluster CPU from {found}")
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
