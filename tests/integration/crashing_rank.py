"""A rank module for torchrun in which rank 1 fails after the rendezvous: the launcher must
name rank 1 and quote its stderr (test_ranks.py). Same arguments as rank_process."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import torch.distributed as dist

from aisbench.runner.rank_process import started_marker, stderr_file


def main(argv: list[str]) -> int:
    out_dir = Path(argv[3])
    rank = int(os.environ["RANK"])
    errors = stderr_file(out_dir, rank).open("w")
    os.dup2(errors.fileno(), 2)
    started_marker(out_dir, rank).write_text(os.environ["LOCAL_RANK"])
    dist.init_process_group("gloo", timeout=timedelta(seconds=30))
    if rank == 1:
        raise RuntimeError("rank 1 broke on purpose (a loader bug stands here)")
    dist.barrier()  # waits for a rank that is gone: torchrun stops this one
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
