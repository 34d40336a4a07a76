"""Soak: persistent DataLoader workers keep flat RSS and open file descriptors across epochs.

Bounded in time (AISBENCH_SOAK_S seconds per dataset, default 15), so it runs in CI. The
series (RSS and fds per worker per epoch) goes to the tests' faults run directory
(fault_fixtures.FAULTS_RUN_DIR), which ``aisbench report <dir>`` renders with plots.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench.datagen.self_checking import FaultData, delete_fault_data, put_fault_data
from aisbench.faults.id_loaders import dataset_kind, persistent_loader
from aisbench.faults.soak import (
    FD_TOLERANCE,
    MIN_EPOCHS,
    RSS_TOLERANCE_BYTES,
    SOAK_SERIES,
    series_to_dict,
    soak_epochs,
    soak_outcome,
    soak_problems,
    trends,
)
from tests.integration.fault_fixtures import record

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SOAK_S = float(os.environ.get("AISBENCH_SOAK_S", "15"))
MAX_EPOCHS = 400
WORKERS = 2


@pytest.fixture(scope="module")
def soak_data(ais_endpoint: str) -> Iterator[FaultData]:
    data = put_fault_data(ais_endpoint, f"soak-{uuid.uuid4().hex[:8]}", 96, 8, 6)
    yield data
    delete_fault_data(data)


@pytest.mark.timeout(SOAK_S + 60)
@pytest.mark.parametrize("kind", ["AISMapDataset", "AISShardReader"])
def test_persistent_workers_keep_rss_and_fds_flat_across_epochs(
    soak_data: FaultData, kind: str
) -> None:
    expected = soak_data.expected_ids(dataset_kind(kind).unit)
    result = soak_epochs(lambda: persistent_loader(kind, soak_data, WORKERS), expected, SOAK_S,
                         MAX_EPOCHS)
    worker_trends = trends(result.samples, skip_epochs=1)
    label = f"{kind}, {WORKERS} persistent workers"
    record(soak_outcome(kind, WORKERS, len(expected), result, worker_trends),
           {SOAK_SERIES: series_to_dict(label, result.samples, worker_trends, result.seconds)})
    assert result.bad_epochs == ()  # every epoch exactly once, bytes checked
    assert result.epochs >= MIN_EPOCHS, f"{result.epochs} epochs in {SOAK_S:.0f} s"
    assert len(result.worker_pids) == WORKERS  # the same workers throughout: persistent
    assert len(worker_trends) == WORKERS
    for trend in worker_trends:
        assert trend.rss_growth_bytes <= RSS_TOLERANCE_BYTES, trend
        assert trend.fd_growth <= FD_TOLERANCE, trend
    assert soak_problems(result, worker_trends, WORKERS) == []
