"""Port plans for a cluster on loopback.

With the loopback aliases 127.0.0.2 and 127.0.0.3 present, every node uses one port number on
three loopback addresses (public, intra-control, intra-data) and AIStore listens on loopback
only. Without them, the three networks share 127.0.0.1 on three ports, and AIStore listens on
every interface for the public port (see config.py); `cluster status` says so.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import psutil

from aisbench.cluster.base import ClusterError, Topology
from aisbench.cluster.config import CONTROL_HOST, DATA_HOST, PUBLIC_HOST, NodePorts

# Below Linux's ephemeral range (32768-60999): a listener there can collide with the local port
# of some outgoing connection, and aisnode then dies at start.
DEFAULT_BASE_PORT = 21080
_SCAN_STEP = 20
_SCAN_TRIES = 100
# Without aliases the intra-cluster networks sit at fixed offsets from the public port.
_CONTROL_OFFSET = 1000
_DATA_OFFSET = 2000

Endpoint = tuple[str, int]


def loopback_aliases_present() -> bool:
    """True when 127.0.0.2 and 127.0.0.3 are addresses of a local interface."""
    addresses = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs}
    return {CONTROL_HOST, DATA_HOST} <= addresses


def plan_ports(base: int, topology: Topology, aliases: bool = True) -> list[NodePorts]:
    """Where every node listens, proxies first; node i gets port base+i."""
    count = topology.proxies + topology.targets
    if aliases:
        return [NodePorts(base + i, base + i, base + i) for i in range(count)]
    return [NodePorts(base + i, base + _CONTROL_OFFSET + i, base + _DATA_OFFSET + i,
                      PUBLIC_HOST, PUBLIC_HOST, PUBLIC_HOST) for i in range(count)]


def endpoints(plan: list[NodePorts]) -> list[Endpoint]:
    return [endpoint for node in plan for endpoint in node.endpoints]


def endpoint_is_free(endpoint: Endpoint) -> bool:
    """True when nothing listens on host:port (nor on INADDR_ANY:port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(endpoint)
        except OSError:
            return False
    return True


def all_free(plan: list[NodePorts]) -> bool:
    return all(endpoint_is_free(e) for e in endpoints(plan))


def find_free_plan(topology: Topology, base: int | None = None, *, aliases: bool = True,
                   is_free: Callable[[Endpoint], bool] = endpoint_is_free) -> list[NodePorts]:
    """A plan whose every endpoint is free.

    With an explicit `base`, the plan starting there must be free (else a ClusterError names the
    busy port); without one, bases from DEFAULT_BASE_PORT upward are tried.
    """
    if base is not None:
        plan = plan_ports(base, topology, aliases)
        busy = [e for e in endpoints(plan) if not is_free(e)]
        if busy:
            host, port = busy[0]
            raise ClusterError(
                f"port {port} on {host} is in use; choose another --base-port "
                f"or stop what listens there"
            )
        return plan
    for attempt in range(_SCAN_TRIES):
        plan = plan_ports(DEFAULT_BASE_PORT + attempt * _SCAN_STEP, topology, aliases)
        if all(is_free(e) for e in endpoints(plan)):
            return plan
    raise ClusterError("no free block of ports found on 127.0.0.1; pass --base-port")
