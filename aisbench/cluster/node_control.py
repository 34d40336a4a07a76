"""Kill, freeze, resume and restart single nodes of a LocalCluster (the fault tests use it).

Works from the cluster's state file (cluster.json in the state dir), which records every node's
layout and pid: a restart re-launches exactly the command line LocalCluster started the node
with (same config, same confdir, so the node rejoins with its id and its data), and stores the
new pid so `LocalCluster.down` stops the new process. Only pids from the state file are ever
signalled, and only after checking their command line (see processes.is_running).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from aisbench.cluster import processes
from aisbench.cluster.base import ClusterError
from aisbench.cluster.config import aisnode_argv
from aisbench.cluster.health import fetch_smap, is_ready, running_jobs
from aisbench.cluster.state import ClusterState, NodeRecord, load_state, save_state

_POLL_S = 0.1


class NodeControl:
    """Signals and restarts the nodes of the local cluster whose state lives in ``state_dir``.

    Args:
        state_dir: the LocalCluster's state directory.
        aisnode: the aisnode binary to restart nodes with (the one the cluster was started with).
    """

    def __init__(self, state_dir: Path, aisnode: Path) -> None:
        self.state_dir = state_dir
        self.aisnode = aisnode

    # -- queries --------------------------------------------------------------------------

    def _state(self) -> ClusterState:
        state = load_state(self.state_dir)
        if state is None:
            raise ClusterError(f"no local cluster in {self.state_dir}; start one first")
        return state

    def _record(self, node_id: str) -> tuple[int, NodeRecord]:
        nodes = self._state().nodes
        for index, record in enumerate(nodes):
            if record.layout.node_id == node_id:
                return index, record
        known = ", ".join(r.layout.node_id for r in nodes)
        raise ClusterError(f"no node {node_id!r} in {self.state_dir}; nodes are: {known}")

    def target_ids(self) -> list[str]:
        """Node ids of the targets, in start order."""
        return [r.layout.node_id for r in self._state().nodes if r.layout.role == "target"]

    def public_url(self, node_id: str) -> str:
        """``http://127.0.0.1:PORT``: where the node serves (and where the proxy redirects)."""
        _, record = self._record(node_id)
        return f"http://127.0.0.1:{record.layout.ports.public}"

    def pid(self, node_id: str) -> int | None:
        return self._record(node_id)[1].pid

    def is_alive(self, node_id: str) -> bool:
        _, record = self._record(node_id)
        return processes.is_running(record.pid, str(record.layout.config_path))

    # -- faults ---------------------------------------------------------------------------

    def send(self, node_id: str, sig: signal.Signals) -> None:
        """Send ``sig`` (SIGKILL, SIGSTOP, SIGCONT, ...) to the node's own process."""
        _, record = self._record(node_id)
        if record.pid is None or not processes.is_running(
            record.pid, str(record.layout.config_path)
        ):
            raise ClusterError(f"node {node_id} is not running; cannot send it {sig.name}")
        os.kill(record.pid, sig)

    def kill(self, node_id: str, timeout_s: float = 10.0) -> None:
        """SIGKILL the node and wait until its process is gone (reaped when it is our child)."""
        self.send(node_id, signal.SIGKILL)
        deadline = time.monotonic() + timeout_s
        while self.is_alive(node_id):
            if time.monotonic() > deadline:
                raise ClusterError(f"node {node_id} still runs {timeout_s:.0f} s after SIGKILL")
            time.sleep(_POLL_S)

    def restart(self, node_id: str, timeout_s: float = 60.0) -> int:
        """Start a node that is not running with its original command line; return the pid.

        Waits until the node answers its readiness probe, the primary is ready, and the node is
        in the cluster map again.
        """
        index, record = self._record(node_id)
        if processes.is_running(record.pid, str(record.layout.config_path)):
            raise ClusterError(f"node {node_id} is still running (pid {record.pid}); kill it first")
        state = self._state()
        argv = aisnode_argv(self.aisnode, record.layout, state.targets)
        env = processes.clean_environment(os.environ)
        pid = processes.spawn(argv, record.layout.log_path, env)
        save_state(self.state_dir, state.with_node(index, NodeRecord(record.layout, pid=pid)))
        self.wait_serving(node_id, timeout_s)
        return pid

    def wait_serving(self, node_id: str, timeout_s: float = 60.0) -> None:
        """Block until the node is ready and listed in the primary's cluster map."""
        _, record = self._record(node_id)
        endpoint = self._state().endpoint
        url = self.public_url(node_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not processes.is_running(record.pid, str(record.layout.config_path)):
                tail = processes.tail(record.layout.log_path, 20)
                raise ClusterError(f"node {node_id} exited while restarting:\n{tail}")
            if _node_ready(url) and is_ready(endpoint) and _in_smap(endpoint, node_id):
                return
            time.sleep(_POLL_S)
        raise ClusterError(f"node {node_id} at {url} not serving {timeout_s:.0f} s after restart")


    def wait_stable(self, settle_s: float = 1.0, timeout_s: float = 60.0) -> None:
        """Block until every target is in the cluster map and the map's version has not
        changed for ``settle_s`` seconds (a rejoin or a keepalive removal can land late)."""
        endpoint = self._state().endpoint
        targets = set(self.target_ids())
        deadline = time.monotonic() + timeout_s
        version, since = None, time.monotonic()
        while time.monotonic() < deadline:
            try:
                smap = fetch_smap(endpoint, timeout_s=2.0)
            except requests.RequestException:
                smap = {}
            current = (smap.get("version"), frozenset(smap.get("tmap") or {}))
            if current != version:
                version, since = current, time.monotonic()
            elif targets <= current[1] and time.monotonic() - since >= settle_s:
                return
            time.sleep(_POLL_S * 2)
        raise ClusterError(f"cluster map at {endpoint} not stable with targets {sorted(targets)} "
                           f"after {timeout_s:.0f} s (last: {version})")


    def set_config(self, values: Mapping[str, str]) -> None:
        """Set cluster-wide configuration, e.g. ``{"rebalance.enabled": "false"}``; AIStore
        refuses an unknown key or a value out of range (400, with why)."""
        endpoint = self._state().endpoint
        response = requests.put(f"{endpoint}/v1/cluster/set-config", params=dict(values),
                                timeout=30.0)
        if not response.ok:
            raise ClusterError(f"setting {dict(values)} on the cluster at {endpoint}: HTTP "
                               f"{response.status_code} {response.text.strip()[:300]}")

    def wait_rebalanced(self, timeout_s: float = 120.0) -> float:
        """Block until no rebalance runs; return the seconds waited.

        A restarted target rejoins and starts a rebalance that takes tens of seconds to
        quiesce; a node killed and restarted inside it can be rejected by its peers' streams
        (seen: the restarted target exits with ``unknown transport endpoint "ack.reb"``).
        """
        endpoint = self._state().endpoint
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            try:
                if not running_jobs(endpoint, "rebalance", timeout_s=5.0):
                    return time.monotonic() - started
            except requests.RequestException:
                pass  # a target still (re)joining: the proxy cannot ask it yet
            time.sleep(_POLL_S * 5)
        raise ClusterError(f"a rebalance still runs on the cluster at {endpoint} after "
                           f"{timeout_s:.0f} s; its targets' logs say why")


def _node_ready(url: str) -> bool:
    try:
        response = requests.get(f"{url}/v1/health", params={"readiness": "true"}, timeout=1.0)
    except requests.RequestException:
        return False
    return response.status_code == 200


def _in_smap(endpoint: str, node_id: str) -> bool:
    try:
        smap = fetch_smap(endpoint, timeout_s=2.0)
    except requests.RequestException:
        return False
    return node_id in (smap.get("tmap") or {}) or node_id in (smap.get("pmap") or {})


def owner_url(endpoint: str, bucket: str, name: str, timeout_s: float = 5.0) -> str:
    """``http://host:port`` of the target the proxy redirects a GET of ``bucket/name`` to."""
    response = requests.get(
        f"{endpoint}/v1/objects/{bucket}/{name}", params={"provider": "ais"},
        allow_redirects=False, timeout=timeout_s,
    )
    response.close()
    location = response.headers.get("Location", "")
    if response.status_code not in (301, 302, 307) or not location:
        raise ClusterError(
            f"expected a redirect for ais://{bucket}/{name}, got HTTP {response.status_code}"
        )
    scheme, rest = location.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"
