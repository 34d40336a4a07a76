"""A cluster someone else runs (AIS_ENDPOINT): aisbench looks at it, never starts or stops it."""

from __future__ import annotations

import requests

from aisbench.cluster.base import ClusterError, ClusterStatus, NodeStatus, Topology
from aisbench.cluster.health import cluster_version, fetch_smap, is_ready


def _nodes_from_smap(smap: dict[str, object]) -> tuple[NodeStatus, ...]:
    nodes = []
    for key, role in (("pmap", "proxy"), ("tmap", "target")):
        members = smap.get(key) or {}
        assert isinstance(members, dict)
        for node_id, node in sorted(members.items()):
            port = int(node.get("public_net", {}).get("daemon_port", 0))
            nodes.append(NodeStatus(node_id=node_id, role=role, port=port, alive=True))
    return tuple(nodes)


class ExternalCluster:
    name = "external"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def status(self) -> ClusterStatus | None:
        if not is_ready(self.endpoint):
            return ClusterStatus(backend=self.name, endpoint=self.endpoint, ready=False)
        try:
            nodes = _nodes_from_smap(fetch_smap(self.endpoint))
        except requests.RequestException:
            nodes = ()
        return ClusterStatus(backend=self.name, endpoint=self.endpoint, ready=True,
                             version=cluster_version(self.endpoint), nodes=nodes)

    def up(self, topology: Topology) -> ClusterStatus:
        status = self.status()
        if status is None or not status.ready:
            raise ClusterError(
                f"AIS_ENDPOINT={self.endpoint} does not answer as a ready AIStore cluster "
                f"(GET /v1/health?prr=true); start it, or unset AIS_ENDPOINT to use the local one"
            )
        return status

    def down(self, keep_data: bool = False) -> None:
        raise ClusterError(
            f"AIS_ENDPOINT={self.endpoint} is an external cluster; aisbench never stops it "
            f"(unset AIS_ENDPOINT to manage the local cluster)"
        )

    def logs(self, node: str | None = None, tail: int = 200) -> str:
        raise ClusterError(f"logs of the external cluster {self.endpoint} are not ours to read; "
                           f"look where it runs")
