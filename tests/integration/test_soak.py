"""Soak: persistent DataLoader workers keep flat RSS and open file descriptors across epochs.

Bounded in time (AISBENCH_SOAK_S seconds per dataset, default 15), so it runs in CI. The
series (RSS and fds per worker per epoch) goes to reports/soak/<dataset>.json for plotting.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from torch.utils.data import DataLoader

from aisbench.faults.datasets import FaultData, delete_fault_data, put_fault_data
from aisbench.faults.soak import (
    WorkerSample,
    sample_workers,
    trends,
    worker_processes,
    write_series,
)
from aisref.client import Bucket, RequestClient

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SOAK_DIR = Path(os.environ.get("AISBENCH_SOAK_DIR", REPO / "reports" / "soak"))
SOAK_S = float(os.environ.get("AISBENCH_SOAK_S", "15"))
MAX_EPOCHS = 400
WORKERS = 2
# Growth allowed from the first third of the epochs to the last (medians): allocator noise and
# late-filled caches, far below what a per-epoch leak adds up to over tens of epochs.
RSS_TOLERANCE_BYTES = 16 * 2**20
FD_TOLERANCE = 2


@pytest.fixture(scope="module")
def soak_data(ais_endpoint: str) -> Iterator[FaultData]:
    data = put_fault_data(ais_endpoint, f"soak-{uuid.uuid4().hex[:8]}", 96, 8, 6)
    yield data
    delete_fault_data(data)


def _loader(kind: str, data: FaultData) -> DataLoader[object]:
    from aisref.pytorch import AISMapDataset, AISShardReader

    client = RequestClient(data.endpoint)
    dataset: Any
    if kind == "AISMapDataset":
        dataset = AISMapDataset(Bucket(client, data.objects_bucket))
    else:
        dataset = AISShardReader(Bucket(client, data.shards_bucket))
    return DataLoader(dataset, batch_size=8, num_workers=WORKERS,
                      persistent_workers=True, collate_fn=list, prefetch_factor=2)


@pytest.mark.timeout(SOAK_S + 60)
@pytest.mark.parametrize("kind", ["AISMapDataset", "AISShardReader"])
def test_persistent_workers_keep_rss_and_fds_flat_across_epochs(
    soak_data: FaultData, kind: str
) -> None:
    # Workers of earlier loaders may still be winding down: never count them as ours.
    others = frozenset(w.pid for w in worker_processes())
    loader = _loader(kind, soak_data)
    expected = len(soak_data.expected_ids(kind))
    samples: list[WorkerSample] = []
    pids: set[int] = set()
    started = time.monotonic()
    epoch = 0
    while epoch < MAX_EPOCHS and time.monotonic() - started < SOAK_S:
        delivered = sum(len(batch) for batch in loader)
        assert delivered == expected, f"epoch {epoch}: {delivered} of {expected} samples"
        now = sample_workers(epoch, exclude=others)
        samples.extend(now)
        pids.update(s.pid for s in now)
        epoch += 1
    elapsed = time.monotonic() - started
    del loader  # persistent workers end with their loader
    gc.collect()
    worker_trends = trends(samples, skip_epochs=1)
    write_series(SOAK_DIR / f"{kind}.json", f"{kind}, {WORKERS} persistent workers", samples,
                 worker_trends, elapsed)
    assert epoch >= 6, f"only {epoch} epochs in {SOAK_S:.0f} s: too few to see a trend"
    assert len(pids) == WORKERS  # the same workers throughout: persistent
    for trend in worker_trends:
        assert trend.rss_growth_bytes <= RSS_TOLERANCE_BYTES, trend
        assert trend.fd_growth <= FD_TOLERANCE, trend
