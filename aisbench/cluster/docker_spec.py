"""What the docker backend asks Docker for, as values built by pure functions.

Every container uses host networking and binds 127.0.0.1: no bridge network, no published
ports. Each node keeps its config, logs and mountpaths in its own named volume mounted at
/ais, laid out as the local backend lays out its state dir. Labels let `status` and `down`
find exactly our containers and volumes again.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from aisbench.cluster.base import ClusterError, Topology
from aisbench.cluster.config import NodeLayout, aisnode_argv, cluster_config, local_config

LABEL_CLUSTER = "aisbench.cluster"  # the cluster id: one per state dir
LABEL_NODE = "aisbench.node"
LABEL_ROLE = "aisbench.role"
LABEL_PORT = "aisbench.port"  # the node's public port
LABEL_ENDPOINT = "aisbench.endpoint"  # the primary proxy's URL
LABEL_TOPOLOGY = "aisbench.topology"  # "proxies/targets/mountpaths"
LABEL_AISNODE_SHA256 = "aisbench.aisnode-sha256"  # on images we build

IMAGE_REPOSITORY = "aisbench/aisnode"
NODE_ROOT = Path("/ais")  # inside the container: the node's volume
# Found through PATH: /usr/bin/aisnode both in our image and in aistorage/aisnode-minimal.
AISNODE_IN_IMAGE = Path("aisnode")
STOP_GRACE_S = 10  # aisnode shuts down gracefully on SIGTERM; Docker SIGKILLs after this
LOG_ROTATION = {"max-size": "10m", "max-file": "2"}  # bounds `docker logs` on disk


@dataclass(frozen=True)
class ContainerSpec:
    """One node's container: everything `docker create` needs, and the node it runs."""

    name: str
    image: str
    volume: str
    layout: NodeLayout
    argv: tuple[str, ...]  # argv[0] is the entrypoint
    labels: tuple[tuple[str, str], ...]

    @property
    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


def cluster_id(state_dir: Path) -> str:
    """A short stable id for the cluster kept in `state_dir` (its resolved path's hash)."""
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:10]


def image_tag(aisnode_sha256: str) -> str:
    """Our image's name for a given aisnode binary: a new binary gets a new tag."""
    return f"{IMAGE_REPOSITORY}:{aisnode_sha256[:16]}"


def topology_label(topology: Topology) -> str:
    return f"{topology.proxies}/{topology.targets}/{topology.mountpaths}"


def parse_topology_label(text: str) -> Topology | None:
    """The Topology a cluster was started with, or None when the label is unreadable."""
    try:
        proxies, targets, mountpaths = (int(part) for part in text.split("/"))
        return Topology(proxies, targets, mountpaths)
    except (ValueError, TypeError, ClusterError):
        return None


def resource_name(cluster: str, node_id: str) -> str:
    """Container and volume name of one node: `aisbench-<cluster>-<node id>`."""
    return f"aisbench-{cluster}-{node_id}"


def cluster_filter(cluster: str) -> dict[str, list[str]]:
    """Docker API filter matching exactly this cluster's containers or volumes."""
    return {"label": [f"{LABEL_CLUSTER}={cluster}"]}


def container_specs(cluster: str, image: str, layouts: Sequence[NodeLayout],
                    topology: Topology, endpoint: str) -> list[ContainerSpec]:
    """The containers of a cluster, in start order (proxies first, the primary first)."""
    specs = []
    for layout in layouts:
        labels = (
            (LABEL_CLUSTER, cluster),
            (LABEL_NODE, layout.node_id),
            (LABEL_ROLE, layout.role),
            (LABEL_PORT, str(layout.ports.public)),
            (LABEL_ENDPOINT, endpoint),
            (LABEL_TOPOLOGY, topology_label(topology)),
        )
        name = resource_name(cluster, layout.node_id)
        argv = tuple(aisnode_argv(AISNODE_IN_IMAGE, layout, topology.targets))
        specs.append(ContainerSpec(name=name, image=image, volume=name, layout=layout,
                                   argv=argv, labels=labels))
    return specs


def create_kwargs(spec: ContainerSpec) -> dict[str, Any]:
    """Keyword arguments for the Docker SDK's `containers.create` for one node."""
    return {
        "image": spec.image,
        "name": spec.name,
        "entrypoint": [spec.argv[0]],
        "command": list(spec.argv[1:]),
        "labels": spec.label_dict,
        "network_mode": "host",  # the only networking we use: nodes bind 127.0.0.1
        "volumes": {spec.volume: {"bind": str(NODE_ROOT), "mode": "rw"}},
        "environment": {},  # in particular no KUBERNETES_* (aisnode would exit)
        "stop_signal": "SIGTERM",
        "log_config": {"type": "json-file", "config": dict(LOG_ROTATION)},
    }


def node_config_files(layout: NodeLayout, primary_url: str,
                      mountpaths: int) -> dict[PurePosixPath, bytes]:
    """The node's two config files (absolute paths inside the container) and their bytes."""
    config = cluster_config(primary_url)
    # Only to stderr, not to files in the volume: `docker logs` then has it all, and
    # Docker's log rotation (LOG_ROTATION) bounds it.
    config["log"] = {**config["log"], "to_stderr": True}
    return {
        PurePosixPath(layout.config_path): _json_bytes(config),
        PurePosixPath(layout.local_config_path): _json_bytes(local_config(layout, mountpaths)),
    }


def tar_of(files: Mapping[PurePosixPath, bytes], directories: Sequence[PurePosixPath] = ()
           ) -> bytes:
    """A tar (for `put_archive` at "/") holding the given directories and files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for directory in directories:
            info = tarfile.TarInfo(str(directory).lstrip("/"))
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            archive.addfile(info)
        for path, data in files.items():
            info = tarfile.TarInfo(str(path).lstrip("/"))
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def node_directories(layout: NodeLayout) -> list[PurePosixPath]:
    """Directories aisnode expects to exist, parents first (it creates mountpaths itself)."""
    wanted: list[PurePosixPath] = []
    for directory in (layout.confdir, layout.logdir, layout.mountpath_root):
        for part in reversed(PurePosixPath(directory).parents[:-1]):
            if part not in wanted:
                wanted.append(part)
        if PurePosixPath(directory) not in wanted:
            wanted.append(PurePosixPath(directory))
    return wanted


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode()
