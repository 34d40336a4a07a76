"""A cluster of our own for fault tests: 1 proxy + 3 targets in a tmp state dir, per module.

Fault tests kill and freeze nodes, so they never touch the session's shared cluster
(aisbench.faults.bench stops it, resuming frozen nodes first, even when a test fails).
Every outcome is also written to a faults run directory (reports/faults-tests/ unless
AISBENCH_FAULTS_DIR says otherwise) that ``aisbench report <dir>`` renders.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.faults.bench import FaultBench, fault_bench
from aisbench.faults.outcome import FaultOutcome
from aisbench.faults.run_dir import FaultRunDir

REPO = Path(__file__).resolve().parents[2]
FAULTS_RUN_DIR = FaultRunDir(Path(os.environ.get("AISBENCH_FAULTS_DIR",
                                                REPO / "reports" / "faults-tests")))


@pytest.fixture(scope="module")
def fault_cluster(tmp_path_factory: pytest.TempPathFactory, ais_home: Path,
                  ) -> Iterator[FaultBench]:
    aisnode = find_binary("aisnode", ais_home)
    state_dir = tmp_path_factory.mktemp("fault-cluster")
    with fault_bench(state_dir, aisnode, Topology(proxies=1, targets=3, mountpaths=1)) as bench:
        yield bench


def record(outcome: FaultOutcome) -> FaultOutcome:
    """Write the outcome for the faults report and hand it back for asserting."""
    return FAULTS_RUN_DIR.record(outcome)
