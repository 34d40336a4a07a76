"""The embedded default: AIStore nodes as local `aisnode` processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from aisbench.cluster import processes
from aisbench.cluster.authn import (
    ClusterAuth,
    TokenRequest,
    auth_from_section,
    control_token,
    issue_token,
)
from aisbench.cluster.base import (
    ClusterError,
    ClusterStatus,
    NodeStatus,
    Topology,
    TopologyMismatch,
)
from aisbench.cluster.binaries import check_aisnode
from aisbench.cluster.config import NodeLayout, NodePorts, aisnode_argv, write_node_configs
from aisbench.cluster.health import ClusterAccess, cluster_version, is_ready, wait_ready
from aisbench.cluster.ports import all_free, find_free_plan, loopback_aliases_present
from aisbench.cluster.state import ClusterState, NodeRecord, load_state, save_state
from aisbench.cluster.tls import TlsFiles

LOG_TAIL_LINES = 30
SILENT_START_ATTEMPTS = 3
# How long a node may take to shut down on SIGTERM before it is killed.
GRACEFUL_STOP_S = 10.0


class NodeExitedSilently(ClusterError):
    """A node process ended during start and left nothing in its logs."""


def node_layouts(state_dir: Path, plan: list[NodePorts], topology: Topology) -> list[NodeLayout]:
    """Proxies first (the first one is primary), then targets with instances 1..M."""
    layouts = []
    for index, ports in enumerate(plan):
        role = "proxy" if index < topology.proxies else "target"
        node_id = f"{role}{ports.public}"  # aisnode wants ids of >= 8 characters
        node_dir = state_dir / "nodes" / node_id
        layouts.append(NodeLayout(
            node_id=node_id, role=role, ports=ports, confdir=node_dir / "conf",
            logdir=node_dir / "log", mountpath_root=state_dir / "mountpaths",
            instance=0 if role == "proxy" else index - topology.proxies + 1,
        ))
    return layouts


def exposure_notes(state: ClusterState) -> tuple[str, ...]:
    if all(record.layout.ports.loopback_only for record in state.nodes):
        return ()
    return ("public ports listen on all interfaces (AIStore does so unless intra-control shares "
            "the public port on another address): as root, `ip addr add 127.0.0.2/8 dev lo; "
            "ip addr add 127.0.0.3/8 dev lo` (scripts/setup.sh does) and restart the cluster",)


def _marker(layout: NodeLayout) -> str:
    return str(layout.config_path)


class LocalCluster:
    """Starts and stops exactly its own aisnode processes; state lives in `state_dir`."""

    name = "local"

    def __init__(self, state_dir: Path, find_aisnode: Callable[[], Path],
                 base_port: int | None = None, startup_timeout_s: float = 120.0,
                 tls: TlsFiles | None = None, auth: ClusterAuth | None = None) -> None:
        """`tls`: serve HTTPS with these files; `auth`: require tokens signed with its key."""
        self.state_dir = state_dir
        self.find_aisnode = find_aisnode  # resolved only to start nodes: status/down need none
        self.base_port = base_port
        self.startup_timeout_s = startup_timeout_s
        self.tls = tls
        self.auth = auth

    # -- queries --------------------------------------------------------------------------

    def access(self) -> ClusterAccess:
        """How to reach the running cluster: its CA bundle, and a fresh control token when it
        requires tokens. Raises ClusterError when there is no cluster in `state_dir`."""
        state = load_state(self.state_dir)
        if state is None:
            raise ClusterError(f"no local cluster in {self.state_dir}; run `aisbench cluster up`")
        return self._access(state)

    def _access(self, state: ClusterState) -> ClusterAccess:
        auth = self._running_auth(state)
        return ClusterAccess(verify=state.ca_bundle or True,
                             token=control_token(auth) if auth is not None else None)

    @staticmethod
    def _running_auth(state: ClusterState) -> ClusterAuth | None:
        """The key the running cluster checks tokens with: from the primary's ais.json (0600),
        since the cluster may have been started by another process."""
        if not state.auth_required:
            return None
        section = json.loads(state.nodes[0].layout.config_path.read_text()).get("auth", {})
        return auth_from_section(section)

    def issue_token(self, user: str, authn_binary: Path) -> str:
        """A read-write token for `user` from AuthN, signed with this cluster's key."""
        state = load_state(self.state_dir)
        auth = self._running_auth(state) if state is not None else None
        if state is None or auth is None:
            raise ClusterError(f"no local cluster with token checks in {self.state_dir}; "
                               f"run `aisbench cluster up --auth`")
        return issue_token(authn_binary, self.state_dir / "authn", auth, TokenRequest(user=user))

    def _alive(self, record: NodeRecord) -> bool:
        return processes.is_running(record.pid, _marker(record.layout))

    def status(self) -> ClusterStatus | None:
        state = load_state(self.state_dir)
        if state is None:
            return None
        nodes = tuple(
            NodeStatus(node_id=r.layout.node_id, role=r.layout.role, port=r.layout.ports.public,
                       alive=self._alive(r), pid=r.pid)
            for r in state.nodes
        )
        access = self._access(state)
        ready = all(n.alive for n in nodes) and is_ready(state.endpoint, access=access)
        version = cluster_version(state.endpoint, access=access) if ready else state.version
        return ClusterStatus(backend=self.name, endpoint=state.endpoint, ready=ready,
                             version=version, nodes=nodes, notes=exposure_notes(state))

    def logs(self, node: str | None = None, tail: int = 200) -> str:
        state = load_state(self.state_dir)
        if state is None:
            raise ClusterError(f"no local cluster in {self.state_dir}; run `aisbench cluster up`")
        known = [r.layout.node_id for r in state.nodes]
        if node is not None and node not in known:
            raise ClusterError(f"no node {node!r}; nodes are: {', '.join(known)}")
        chunks = []
        for record in state.nodes:
            if node is None or record.layout.node_id == node:
                chunks.append(f"==> {record.layout.node_id} <==\n{self._node_log(record, tail)}")
        return "\n".join(chunks)

    @staticmethod
    def _node_log(record: NodeRecord, lines: int) -> str:
        """The node's stdout/stderr (panics land there) followed by AIStore's own INFO log."""
        layout = record.layout
        own_log = layout.logdir / f"ais{layout.role}.INFO"
        parts = [processes.tail(layout.log_path, lines), processes.tail(own_log, lines)]
        return "\n".join(p for p in parts if p)

    # -- lifecycle ------------------------------------------------------------------------

    def up(self, topology: Topology) -> ClusterStatus:
        """Start (or reuse) the cluster. A node that dies at start without a word in its logs
        is retried: seen here, rarely, while another cluster runs on the machine; a node that
        logs why it failed is not. (One such "death" was a live node read mid-exec, now
        waited out by `processes.spawn`; the retry stays for real silent exits.)"""
        for _ in range(SILENT_START_ATTEMPTS - 1):
            try:
                return self._up_once(topology)
            except NodeExitedSilently as exc:
                print(f"aisbench: {exc}; starting the cluster again", file=sys.stderr)
        return self._up_once(topology)

    def _up_once(self, topology: Topology) -> ClusterStatus:
        state = load_state(self.state_dir)
        if state is not None:
            reused = self._reuse_or_clean(state, topology)
            if reused is not None:
                return reused
        aisnode = self.find_aisnode()
        version = check_aisnode(aisnode)
        state = load_state(self.state_dir)  # kept data (down --keep-data) restarts in place
        if state is None:
            plan = find_free_plan(topology, self.base_port, aliases=loopback_aliases_present())
            layouts = node_layouts(self.state_dir, plan, topology)
            scheme = "https" if self.tls else "http"
            endpoint = f"{scheme}://127.0.0.1:{layouts[0].ports.public}"
            for layout in layouts:
                write_node_configs(layout, endpoint, topology.mountpaths, tls=self.tls,
                                   auth=self.auth)
            state = ClusterState(backend=self.name, endpoint=endpoint, proxies=topology.proxies,
                                 targets=topology.targets, mountpaths=topology.mountpaths,
                                 nodes=tuple(NodeRecord(layout) for layout in layouts),
                                 version=version,
                                 ca_bundle=str(self.tls.ca) if self.tls else None,
                                 auth_required=self.auth is not None)
        else:
            if not all_free([r.layout.ports for r in state.nodes]):
                raise ClusterError(f"a port of the kept cluster in {self.state_dir} is in use "
                                   f"(or run `aisbench cluster down` to start afresh)")
        self._launch(state, aisnode)
        try:
            wait_ready(state.endpoint, state.targets, self.startup_timeout_s,
                       check=lambda: self._check_all_alive(), describe_failure=self._log_tails,
                       access=self._access(state))
        except ClusterError:
            self.down(keep_data=False)
            raise
        status = self.status()
        assert status is not None
        return status

    def _reuse_or_clean(self, state: ClusterState, topology: Topology) -> ClusterStatus | None:
        """Reuse a healthy running cluster; clean up after a crashed one."""
        alive = [self._alive(r) for r in state.nodes]
        if all(alive) and is_ready(state.endpoint, access=self._access(state)):
            if ((state.ca_bundle is None) != (self.tls is None)
                    or state.auth_required != (self.auth is not None)):
                raise TopologyMismatch(
                    f"a local cluster is already running at {state.endpoint}; run `aisbench "
                    f"cluster down` first to switch https or token checks on or off"
                )
            running = Topology(state.proxies, state.targets, state.mountpaths)
            if running != topology:
                raise TopologyMismatch(
                    f"a local cluster is already running at {state.endpoint} with "
                    f"{state.proxies} proxies, {state.targets} targets, {state.mountpaths} "
                    f"mountpaths; run `aisbench cluster down` first to change the topology"
                )
            return self.status()
        if any(alive) or any(r.pid is not None for r in state.nodes):
            # Left by a crashed run (or a node died): stop what is left and start afresh. No
            # grace: the data goes with it, and a primary whose target died spends ~7 s of a
            # graceful shutdown on that target.
            self.down(keep_data=False, grace_s=0.0)
        return None

    def _launch(self, state: ClusterState, aisnode: Path) -> None:
        env = processes.clean_environment(os.environ)
        for index, record in enumerate(state.nodes):
            argv = aisnode_argv(aisnode, record.layout, state.targets)
            pid = processes.spawn(argv, record.layout.log_path, env)
            state = state.with_node(index, NodeRecord(record.layout, pid=pid))
            save_state(self.state_dir, state)  # after each start, so a crash can be cleaned up

    def _check_all_alive(self) -> None:
        state = load_state(self.state_dir)
        if state is None:
            return
        for record in state.nodes:
            if not self._alive(record):
                tail = self._node_log(record, LOG_TAIL_LINES)
                error = ClusterError if tail.strip() else NodeExitedSilently
                raise error(
                    f"aisnode {record.layout.node_id} (pid {record.pid}) exited during start; "
                    f"last lines of {record.layout.log_path}:\n{tail}"
                )

    def _log_tails(self) -> str:
        state = load_state(self.state_dir)
        if state is None:
            return ""
        return "\n".join(f"--- {r.layout.node_id}:\n{self._node_log(r, 10)}" for r in state.nodes)

    def down(self, keep_data: bool = False, grace_s: float = GRACEFUL_STOP_S) -> None:
        """Stop every node (SIGTERM, SIGKILL after ``grace_s``) and remove the state, or keep
        configs and data to restart in place."""
        state = load_state(self.state_dir)
        if state is None:
            return
        # Targets first, the primary last, so nobody waits on a missing primary.
        for record in reversed(state.nodes):
            if record.pid is not None:
                processes.stop(record.pid, _marker(record.layout), grace_s)
        plan = [r.layout.ports for r in state.nodes]
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and not all_free(plan):
            time.sleep(0.1)
        if keep_data:
            save_state(self.state_dir, ClusterState(
                backend=state.backend, endpoint=state.endpoint, proxies=state.proxies,
                targets=state.targets, mountpaths=state.mountpaths,
                nodes=tuple(NodeRecord(r.layout) for r in state.nodes), version=state.version,
                ca_bundle=state.ca_bundle, auth_required=state.auth_required))
        else:
            shutil.rmtree(self.state_dir, ignore_errors=True)
