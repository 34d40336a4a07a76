"""AIStore clusters: started as local processes or containers, or found at an endpoint; their
status, logs, TLS and tokens; single nodes killed, frozen and restarted for fault tests."""

from aisbench.cluster.base import (
    ClusterBackend,
    ClusterError,
    ClusterStatus,
    Topology,
    TopologyMismatch,
)
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.health import cluster_version, etl_unavailable_reason
from aisbench.cluster.local import LocalCluster
from aisbench.cluster.node_control import NodeControl, owner_url
from aisbench.cluster.scoped import scoped_cluster
from aisbench.cluster.select import (
    BACKENDS,
    ClusterSettings,
    backend_in_use,
    issue_token,
    make_backend,
    settings_from_env,
)
from aisbench.cluster.tls import tls_files_in

__all__ = [
    "BACKENDS",
    "ClusterBackend",
    "ClusterError",
    "ClusterSettings",
    "ClusterStatus",
    "LocalCluster",
    "NodeControl",
    "Topology",
    "TopologyMismatch",
    "backend_in_use",
    "cluster_version",
    "etl_unavailable_reason",
    "find_binary",
    "issue_token",
    "make_backend",
    "owner_url",
    "scoped_cluster",
    "settings_from_env",
    "tls_files_in",
]
