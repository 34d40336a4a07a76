"""`up` over a crashed cluster: what it left running is killed at once, not waited for.

A stand-in for a primary that is slow to shut down (aisnode's primary spends ~7 s of its
graceful shutdown on a target that died) ignores SIGTERM; the cleanup must not give it the
graceful stop's grace period.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from aisbench.cluster.base import Topology
from aisbench.cluster.local import GRACEFUL_STOP_S, LocalCluster, node_layouts
from aisbench.cluster.ports import find_free_plan
from aisbench.cluster.processes import clean_environment, is_running, spawn
from aisbench.cluster.state import ClusterState, NodeRecord, save_state

DEAF_TO_SIGTERM = ("import pathlib, signal, sys, time; "
                   "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "pathlib.Path(sys.argv[1]).touch(); time.sleep(120)")


def _deaf_node(config_path: Path, ready: Path) -> int:
    """A process whose command line names ``config_path`` (as a node's does) and that ignores
    SIGTERM once ``ready`` exists."""
    config_path.parent.mkdir(parents=True, exist_ok=True)
    pid = spawn([sys.executable, "-c", DEAF_TO_SIGTERM, str(ready), str(config_path)],
                config_path.parent / "deaf.log", clean_environment(os.environ))
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the stand-in node did not start"
        time.sleep(0.02)
    return pid


def test_leftovers_of_a_crashed_cluster_are_killed_without_the_grace_period(
        tmp_path: Path) -> None:
    topology = Topology(proxies=1, targets=1)
    state_dir = tmp_path / "state"
    proxy, target = node_layouts(state_dir, find_free_plan(topology, None, aliases=False),
                                 topology)
    pid = _deaf_node(proxy.config_path, tmp_path / "ready")
    try:
        state = ClusterState(backend="local", endpoint=f"http://127.0.0.1:{proxy.ports.public}",
                             proxies=1, targets=1, mountpaths=1,
                             nodes=(NodeRecord(proxy, pid=pid), NodeRecord(target)))  # it died
        save_state(state_dir, state)
        cluster = LocalCluster(state_dir, find_aisnode=lambda: Path("/no/aisnode"))
        started = time.monotonic()
        assert cluster._reuse_or_clean(state, topology) is None  # nothing to reuse
        elapsed = time.monotonic() - started
        assert not is_running(pid, str(proxy.config_path))
        assert elapsed < GRACEFUL_STOP_S / 2, elapsed
        assert not state_dir.exists()
    finally:
        if is_running(pid, str(proxy.config_path)):
            os.kill(pid, signal.SIGKILL)
