"""A cluster of our own for fault tests: 1 proxy + 3 targets in a tmp state dir, per module.

Fault tests kill and freeze nodes, so they never touch the session's shared cluster. The
cluster is stopped (and its state dir removed) after the module even when a test fails;
a node left frozen is resumed first so it can shut down.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.local import LocalCluster
from aisbench.faults.datasets import FaultData, delete_fault_data, put_fault_data
from aisbench.faults.node_control import NodeControl
from aisbench.faults.outcome import FaultOutcome, write_outcome

REPO = Path(__file__).resolve().parents[2]
FAULTS_DIR = Path(os.environ.get("AISBENCH_FAULTS_DIR", REPO / "reports" / "faults"))
N_OBJECTS = 48
N_SHARDS = 9
SAMPLES_PER_SHARD = 4


@dataclass(frozen=True)
class FaultCluster:
    endpoint: str
    control: NodeControl
    data: FaultData

    def heal(self) -> None:
        """Every target running and serving again (after a test, whatever it left behind)."""
        for node_id in self.control.target_ids():
            if self.control.is_alive(node_id):
                self.control.send(node_id, signal.SIGCONT)  # harmless unless it was frozen
                self.control.wait_serving(node_id, timeout_s=60.0)
            else:
                self.control.restart(node_id, timeout_s=60.0)
        self.control.wait_stable()


@pytest.fixture(scope="module")
def fault_cluster(tmp_path_factory: pytest.TempPathFactory, ais_home: Path,
                  ) -> Iterator[FaultCluster]:
    aisnode = find_binary("aisnode", ais_home)
    state_dir = tmp_path_factory.mktemp("fault-cluster")
    cluster = LocalCluster(state_dir, find_aisnode=lambda: aisnode)
    try:
        status = cluster.up(Topology(proxies=1, targets=3, mountpaths=1))
        control = NodeControl(state_dir, aisnode)
        data = put_fault_data(status.endpoint, f"faults-{uuid.uuid4().hex[:8]}", N_OBJECTS,
                              N_SHARDS, SAMPLES_PER_SHARD)
        fc = FaultCluster(status.endpoint, control, data)
        yield fc
        fc.heal()
        delete_fault_data(data)
    finally:
        _resume_all(state_dir, aisnode)
        cluster.down(keep_data=False)


def _resume_all(state_dir: Path, aisnode: Path) -> None:
    control = NodeControl(state_dir, aisnode)
    try:
        ids = control.target_ids()
    except Exception:  # no state: nothing to resume
        return
    for node_id in ids:
        if control.is_alive(node_id):
            control.send(node_id, signal.SIGCONT)


def record(outcome: FaultOutcome) -> FaultOutcome:
    """Write the outcome for the faults report and hand it back for asserting."""
    write_outcome(FAULTS_DIR, outcome)
    return outcome
