"""A DDP-shaped loop over aisref datasets, run by torchrun from test_pytorch_distributed.py.

    torchrun --nproc-per-node=2 dist_reader_job.py SPEC.json OUT_DIR

SPEC holds the endpoint, the bucket and a list of cases. For each case every rank builds the
dataset, reads it through a DataLoader with 2 workers (the case's start method), all-reduces
once per step as DDP's backward does, and writes ``OUT_DIR/<case>-rank<r>.json`` with its step
count, ``len(dataset)`` and the names of the samples it read. Unequal step counts make one
rank wait in an all-reduce the other never joins: the gloo timeout then fails the job.

After ``init_process_group`` the job removes RANK and WORLD_SIZE from its environment, so
its DataLoader workers can learn their rank only from the inherited process group (fork) or
from the dataset the main process pickled for them (spawn, forkserver).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from aisref.client import Client, DataShard
from aisref.pytorch import AISIterDataset, AISMultiShardStream, AISShardReader

COLLECTIVE_TIMEOUT = timedelta(seconds=30)
TORCHRUN_RANK_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "GROUP_RANK", "ROLE_RANK")


def build(case: dict[str, Any], endpoint: str, bucket_name: str) -> Any:
    options = {"split_by_rank": case["split_by_rank"], "drop_last": case["drop_last"]}
    bucket = Client(endpoint).bucket(bucket_name)
    if case["kind"] == "objects":
        return AISIterDataset(bucket, prefix_map={bucket: case["prefixes"][0]}, **options)
    if case["kind"] == "shards":
        return AISShardReader(bucket, prefix_map={bucket: case["prefixes"][0]}, **options)
    streams = [DataShard(endpoint, bucket_name, prefix=prefix) for prefix in case["prefixes"]]
    return AISMultiShardStream(streams, **options)


def sample_name(kind: str, sample: Any) -> str:
    if kind == "objects":
        return str(sample[0])  # (object name, bytes)
    if kind == "shards":
        return str(sample[0])  # (sample key, fields)
    return "+".join(member.decode() for member in sample)  # members hold their own names


def run_case(case: dict[str, Any], spec: dict[str, Any], out_dir: Path, rank: int) -> None:
    dataset = build(case, spec["endpoint"], spec["bucket"])
    loader = DataLoader(
        dataset,
        batch_size=case["batch_size"],
        num_workers=2,
        multiprocessing_context=case["start_method"],
        collate_fn=list,
    )
    names: list[str] = []
    steps = 0
    for batch in loader:
        dist.all_reduce(torch.ones(1))  # as DDP's gradient all-reduce: every rank, every step
        names.extend(sample_name(case["kind"], sample) for sample in batch)
        steps += 1
    length = len(dataset) if hasattr(dataset, "__len__") else None
    record = {"rank": rank, "steps": steps, "length": length, "names": names}
    (out_dir / f"{case['name']}-rank{rank}.json").write_text(json.dumps(record))
    dist.barrier()


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    out_dir = Path(sys.argv[2])
    dist.init_process_group("gloo", timeout=COLLECTIVE_TIMEOUT)
    rank = dist.get_rank()
    for name in TORCHRUN_RANK_VARIABLES:
        os.environ.pop(name, None)
    try:
        for case in spec["cases"]:
            run_case(case, spec, out_dir, rank)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
