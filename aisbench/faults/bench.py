"""A local cluster of our own that faults may hurt, with its self-checking data.

Fault runs kill and freeze nodes, so they never touch a cluster somebody else uses: `fault_bench`
starts one in a state dir of its own (free ports, 127.0.0.1 only), fills two buckets, and on
exit resumes any frozen node, stops every node and removes the state - also when the run fails.
"""

from __future__ import annotations

import contextlib
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aisbench.cluster import ClusterError, LocalCluster, NodeControl, Topology, owner_url
from aisbench.datagen import FaultData, delete_fault_data, put_fault_data


@dataclass(frozen=True)
class DataShape:
    """How much fault data: objects in one bucket, tar shards of ``samples_per_shard``."""

    objects: int = 48
    shards: int = 9
    samples_per_shard: int = 4


@dataclass(frozen=True)
class FaultBench:
    """The cluster under test: where it serves, how to hurt its nodes, and its data."""

    endpoint: str
    control: NodeControl
    data: FaultData
    aisnode_version: str | None = None

    def heal(self) -> None:
        """Every target running and serving again, and the cluster map settled."""
        for node_id in self.control.target_ids():
            if self.control.is_alive(node_id):
                self.control.send(node_id, signal.SIGCONT)  # harmless unless it was frozen
                self.control.wait_serving(node_id, timeout_s=60.0)
            else:
                self.control.restart(node_id, timeout_s=60.0)
        self.control.wait_stable()

    def settle(self) -> None:
        """`heal`, then wait out any rebalance (the bench turns rebalance off; this guards a
        cluster where it was on): a fault goes into a settled cluster."""
        self.heal()
        self.control.wait_rebalanced()

    def target_urls(self) -> list[str]:
        return [self.control.public_url(node_id) for node_id in self.control.target_ids()]

    def owner_of(self, bucket: str, name: str) -> str:
        """The node id of the target that serves ``bucket/name`` now."""
        url = owner_url(self.endpoint, bucket, name)
        for node_id in self.control.target_ids():
            if self.control.public_url(node_id) == url:
                return node_id
        raise ClusterError(f"ais://{bucket}/{name} is served by {url}, which is no target of "
                           f"the cluster in {self.control.state_dir}")


@contextlib.contextmanager
def fault_bench(state_dir: Path, aisnode: Path, topology: Topology,
                shape: DataShape = DataShape()) -> Iterator[FaultBench]:
    """Start the cluster in ``state_dir``, put the data, yield; always stop and clean up."""
    cluster = LocalCluster(state_dir, find_aisnode=lambda: aisnode)
    try:
        status = cluster.up(topology)
        control = NodeControl(state_dir, aisnode)
        # Every killed target comes back with its data, so a rebalance has nothing to move;
        # but one starts at each rejoin and takes ~35 s to quiesce, and a target killed and
        # restarted inside it can exit (peers' streams: unknown transport endpoint "ack.reb").
        # Off, each fault meets a settled cluster and its outcome is the loader's.
        control.set_config({"rebalance.enabled": "false"})
        data = put_fault_data(status.endpoint, f"faults-{uuid.uuid4().hex[:8]}", shape.objects,
                              shape.shards, shape.samples_per_shard)
        bench = FaultBench(status.endpoint, control, data, status.version)
        yield bench
        bench.heal()
        delete_fault_data(data)
    finally:
        _resume_all(NodeControl(state_dir, aisnode))
        cluster.down(keep_data=False)


def _resume_all(control: NodeControl) -> None:
    """SIGCONT every live target: a frozen node cannot shut down."""
    try:
        ids = control.target_ids()
    except ClusterError:  # no state: the cluster never started
        return
    for node_id in ids:
        if control.is_alive(node_id):
            control.send(node_id, signal.SIGCONT)
