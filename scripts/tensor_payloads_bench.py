#!/usr/bin/env python3
"""Measure ``tensor_payloads`` (issue #12 item 5): bytes vs torch.uint8 tensors through a
DataLoader, for AISIterDataset and AISMapDataset, interleaved in one run.

A local cluster (1 proxy, 2 targets; or AIS_ENDPOINT) gets one bucket per object size. Each
repeat runs every case once, in a rotated order; a case is one epoch over its bucket through
``DataLoader(batch_size=..., num_workers=...)`` with default collation, timed from the
DataLoader's creation to its last batch (worker start-up included). CPU is this process plus
its reaped DataLoader workers (getrusage SELF + CHILDREN; the cluster's nodes are not counted:
they are not reaped during the run). The load average is printed before every repeat.

    PYTHONPATH=.:impl .venv/bin/python scripts/tensor_payloads_bench.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader

from aisbench.cluster import scoped_cluster
from aisbench.cluster.select import default_home
from aisref.client import Bucket, Client
from aisref.pytorch import AISIterDataset, AISMapDataset

MiB = 1 << 20


@dataclass(frozen=True)
class Case:
    dataset: str  # "iter" | "map"
    object_size: int  # bytes
    workers: int
    payload: str  # "bytes" | "tensor"

    @property
    def label(self) -> str:
        size = f"{self.object_size // 1024} KiB"
        return f"{self.dataset:4} {size:>8} w={self.workers} {self.payload}"


@dataclass(frozen=True)
class Result:
    mib_s: float
    cpu_ms_per_sample: float


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def make_dataset(case: Case, bucket: Bucket) -> Any:
    tensors = case.payload == "tensor"
    if case.dataset == "iter":
        return AISIterDataset(bucket, tensor_payloads=tensors)
    return AISMapDataset(bucket, tensor_payloads=tensors)


def payload_bytes(payloads: Any) -> int:
    """Bytes in a batch's payloads (a stacked tensor or a list) or in one sample's payload."""
    if isinstance(payloads, torch.Tensor):
        return payloads.numel()
    if isinstance(payloads, bytes):
        return len(payloads)
    return sum(len(p) for p in payloads)


def run_case(case: Case, bucket: Bucket, batch_size: int | None, expected: int) -> Result:
    dataset = make_dataset(case, bucket)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=case.workers)
    total = samples = 0
    for names, payloads in loader:
        total += payload_bytes(payloads)
        samples += 1 if batch_size is None else len(names)
    del loader  # workers are joined (and reaped) here, so their CPU is counted
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if total != expected:
        raise RuntimeError(f"{case.label}: {total} bytes arrived, {expected} expected")
    return Result(total / MiB / elapsed, 1000 * cpu / samples)


def fill(bucket: Bucket, count: int, size: int) -> None:
    bucket.create(exist_ok=True)
    for i in range(count):
        bucket.object(f"o{i:05d}").put_content(os.urandom(size))


def cluster_endpoint() -> AbstractContextManager[str]:
    return scoped_cluster(default_home(), os.environ.get("AIS_ENDPOINT"),
                          state_prefix="tensor-payloads-bench-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-count", type=int, default=192, help="objects of 1 MiB")
    parser.add_argument("--small-count", type=int, default=2048, help="objects of 16 KiB")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="0: batch_size=None (samples one by one, not collated)")
    args = parser.parse_args()
    with cluster_endpoint() as endpoint:
        client = Client(endpoint)
        buckets = {MiB: client.bucket("zc-1mib"), 16 << 10: client.bucket("zc-16kib")}
        counts = {MiB: args.big_count, 16 << 10: args.small_count}
        for size, bucket in buckets.items():
            fill(bucket, counts[size], size)
        cases = [
            Case(dataset, size, workers, payload)
            for dataset in ("iter", "map")
            for size in buckets
            for workers in (0, 2)
            for payload in ("bytes", "tensor")
        ]
        results: dict[Case, list[Result]] = {case: [] for case in cases}
        for repeat in range(args.repeats):
            print(f"repeat {repeat + 1}: load average {os.getloadavg()}", flush=True)
            order = cases[repeat % len(cases):] + cases[: repeat % len(cases)]
            for case in order:
                result = run_case(case, buckets[case.object_size], args.batch_size or None,
                                  counts[case.object_size] * case.object_size)
                results[case].append(result)
                print(f"  {case.label:34} {result.mib_s:8.1f} MiB/s "
                      f"{result.cpu_ms_per_sample:7.3f} ms CPU/sample", flush=True)
        print(f"\nbatch_size {args.batch_size or None}, medians of {args.repeats} "
              f"(load average now {os.getloadavg()}):")
        print("| dataset | object | workers | payload | MiB/s | CPU ms/sample | runs MiB/s "
              "| tensor/bytes, same repeat |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for case in cases:
            runs = results[case]
            mib = statistics.median(r.mib_s for r in runs)
            cpu = statistics.median(r.cpu_ms_per_sample for r in runs)
            every = ", ".join(f"{r.mib_s:.0f}" for r in runs)
            bytes_runs = results[Case(case.dataset, case.object_size, case.workers, "bytes")]
            pairs = zip(runs, bytes_runs, strict=True)
            ratios = ", ".join(f"{t.mib_s / b.mib_s:.2f}" for t, b in pairs)
            print(f"| {case.dataset} | {case.object_size // 1024} KiB | {case.workers} | "
                  f"{case.payload} | {mib:.0f} | {cpu:.3f} | {every} | "
                  f"{ratios if case.payload == 'tensor' else ''} |")
        for bucket in buckets.values():
            bucket.delete(missing_ok=True)


if __name__ == "__main__":
    main()
