"""Port plans for a cluster on 127.0.0.1: three ports per node (public, control, data)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from aisbench.cluster.base import ClusterError, Topology
from aisbench.cluster.config import NodePorts

DEFAULT_BASE_PORT = 51080
_SCAN_STEP = 20
_SCAN_TRIES = 200
# Public ports count up from the base; intra-control and intra-data sit at fixed offsets.
_CONTROL_OFFSET = 1000
_DATA_OFFSET = 2000


def plan_ports(base: int, topology: Topology) -> list[NodePorts]:
    """Ports for every node, proxies first: node i gets base+i, base+1000+i, base+2000+i."""
    count = topology.proxies + topology.targets
    return [NodePorts(base + i, base + _CONTROL_OFFSET + i, base + _DATA_OFFSET + i)
            for i in range(count)]


def all_ports(plan: list[NodePorts]) -> list[int]:
    return [port for node in plan for port in (node.public, node.control, node.data)]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (we can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_plan(topology: Topology, base: int | None = None,
                   is_free: Callable[[int], bool] = port_is_free) -> list[NodePorts]:
    """A plan whose every port is free.

    With an explicit `base`, the plan starting there must be free (else a ClusterError names the
    busy port); without one, bases from DEFAULT_BASE_PORT upward are tried.
    """
    if base is not None:
        plan = plan_ports(base, topology)
        busy = [port for port in all_ports(plan) if not is_free(port)]
        if busy:
            raise ClusterError(
                f"port {busy[0]} on 127.0.0.1 is in use; choose another --base-port "
                f"(the cluster needs ports {base}.., {base + _CONTROL_OFFSET}.., "
                f"{base + _DATA_OFFSET}..) or stop what listens there"
            )
        return plan
    for attempt in range(_SCAN_TRIES):
        plan = plan_ports(DEFAULT_BASE_PORT + attempt * _SCAN_STEP, topology)
        if all(is_free(port) for port in all_ports(plan)):
            return plan
    raise ClusterError("no free block of ports found on 127.0.0.1; pass --base-port")
