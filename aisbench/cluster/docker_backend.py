"""AIStore nodes as Docker containers on the host network, driven through the `docker` SDK.

One container and one named volume per node, all labelled with the cluster's id (derived from
the state dir), so `status`, `logs` and `down` find exactly what `up` made. The image is built
from docker/Dockerfile and the local aisnode binary (no registry needed) and reused while that
binary is unchanged; `image=` uses a given image instead (pulled only if it is not here).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

# Our repo's docker/ folder makes tools see `docker` as first-party; the SDK is meant here.
from docker.client import DockerClient
from docker.errors import BuildError, DockerException, ImageNotFound, NotFound

from aisbench.cluster import docker_spec as spec
from aisbench.cluster.base import ClusterError, ClusterStatus, NodeStatus, Topology
from aisbench.cluster.binaries import check_aisnode, find_binary
from aisbench.cluster.config import NodePorts
from aisbench.cluster.health import cluster_version, is_ready, wait_ready
from aisbench.cluster.local import node_layouts
from aisbench.cluster.ports import (
    all_free,
    find_free_plan,
    loopback_aliases_present,
    plan_ports,
)

if TYPE_CHECKING:
    from docker.models.containers import Container
    from docker.models.volumes import Volume

    from aisbench.cluster.select import ClusterSettings

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker" / "Dockerfile"
ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "docker-engine.sh"
LOG_TAIL_LINES = 30
_PORTS_FREE_WAIT_S = 15.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _start_order(container: Container) -> tuple[bool, int]:
    labels = container.labels
    return labels.get(spec.LABEL_ROLE) != "proxy", int(labels.get(spec.LABEL_PORT, "0"))


class DockerCluster:
    """Starts and stops exactly its own aisnode containers and volumes (found by label)."""

    name = "docker"

    def __init__(self, state_dir: Path, image: str | None = None,
                 aisnode_binary: Path | None = None, base_port: int | None = None,
                 startup_timeout_s: float = 120.0,
                 client: DockerClient | None = None) -> None:
        """`image`: use this image instead of building one from `aisnode_binary`.
        `base_port`: the primary's public port (None: the first free block).
        `startup_timeout_s`: seconds `up` waits for the cluster to report ready."""
        self.state_dir = state_dir
        self.image = image
        self.aisnode_binary = aisnode_binary
        self.base_port = base_port
        self.startup_timeout_s = startup_timeout_s
        self.cluster = spec.cluster_id(state_dir)
        self._client = client

    # -- the engine -----------------------------------------------------------------------

    def _docker(self) -> DockerClient:
        if self._client is None:
            try:
                client = DockerClient.from_env(timeout=120)
                client.ping()
            except DockerException as exc:
                raise ClusterError(
                    f"no Docker engine answers ({exc}); start one with {ENGINE_SCRIPT} "
                    "(as root it installs docker.io and runs dockerd --bridge=none)"
                ) from exc
            self._client = client
        return self._client

    def _containers(self) -> list[Container]:
        found = self._docker().containers.list(all=True,
                                               filters=spec.cluster_filter(self.cluster))
        return sorted(found, key=_start_order)

    def _volumes(self) -> list[Volume]:
        return list(self._docker().volumes.list(filters=spec.cluster_filter(self.cluster)))

    # -- queries --------------------------------------------------------------------------

    def status(self) -> ClusterStatus | None:
        containers = self._containers()
        if not containers:
            return None
        endpoint = containers[0].labels[spec.LABEL_ENDPOINT]
        nodes = tuple(
            NodeStatus(node_id=c.labels[spec.LABEL_NODE], role=c.labels[spec.LABEL_ROLE],
                       port=int(c.labels[spec.LABEL_PORT]), alive=c.status == "running",
                       container=c.name)
            for c in containers
        )
        ready = all(n.alive for n in nodes) and is_ready(endpoint)
        return ClusterStatus(backend=self.name, endpoint=endpoint, ready=ready,
                             version=cluster_version(endpoint) if ready else None, nodes=nodes)

    def logs(self, node: str | None = None, tail: int = 200) -> str:
        containers = self._containers()
        if not containers:
            raise ClusterError(f"no docker cluster for {self.state_dir}; "
                               "run `aisbench cluster up --backend docker`")
        known = [c.labels[spec.LABEL_NODE] for c in containers]
        if node is not None and node not in known and node not in [c.name for c in containers]:
            raise ClusterError(f"no node {node!r}; nodes are: {', '.join(known)}")
        return "\n".join(
            f"==> {c.labels[spec.LABEL_NODE]} ({c.name}) <==\n{self._container_log(c, tail)}"
            for c in containers if node in (None, c.labels[spec.LABEL_NODE], c.name)
        )

    @staticmethod
    def _container_log(container: Container, lines: int) -> str:
        """The node's stdout/stderr as Docker kept it (aisnode logs to stderr here)."""
        try:
            raw: bytes = container.logs(stdout=True, stderr=True, tail=lines)
        except DockerException as exc:
            return f"(no logs: {exc})"
        return raw.decode(errors="replace").rstrip("\n")

    # -- the image ------------------------------------------------------------------------

    def ensure_image(self) -> str:
        """The image to run: `image` if given (pulled if absent), else ours, built if absent."""
        images = self._docker().images
        if self.image is not None:
            try:
                images.get(self.image)
            except ImageNotFound:
                try:
                    images.pull(self.image)
                except DockerException as exc:
                    raise ClusterError(
                        f"image {self.image} is not here and cannot be pulled ({exc}); "
                        "leave out --image to build one from the local aisnode binary"
                    ) from exc
            return self.image
        if self.aisnode_binary is None:
            raise ClusterError("no aisnode binary to build the image from: run "
                               "scripts/setup.sh, set AISNODE_BIN, or pass --image IMAGE")
        check_aisnode(self.aisnode_binary)
        digest = file_sha256(self.aisnode_binary)
        tag = spec.image_tag(digest)
        try:
            images.get(tag)
            return tag  # this exact binary was built before
        except ImageNotFound:
            pass
        self._build_image(tag, digest)
        return tag

    def _build_image(self, tag: str, digest: str) -> None:
        assert self.aisnode_binary is not None
        if not DOCKERFILE.is_file():
            raise ClusterError(f"{DOCKERFILE} is missing; run from a source checkout of "
                               "aisbench or pass --image IMAGE")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="image-context-", dir=self.state_dir) as ctx:
            context = Path(ctx)
            shutil.copy(DOCKERFILE, context / "Dockerfile")
            try:
                os.link(self.aisnode_binary, context / "aisnode")  # same filesystem: no copy
            except OSError:
                shutil.copy2(self.aisnode_binary, context / "aisnode")
            try:
                # network_mode="host": a build never needs the (absent) bridge network.
                self._docker().images.build(
                    path=str(context), tag=tag, rm=True, forcerm=True, pull=False,
                    network_mode="host", labels={spec.LABEL_AISNODE_SHA256: digest})
            except BuildError as exc:
                tail = "".join(str(step.get("stream", step.get("error", "")))
                               for step in list(exc.build_log)[-10:])
                raise ClusterError(f"building {tag} from {DOCKERFILE} failed: {exc}\n{tail}"
                                   ) from exc
            except DockerException as exc:
                raise ClusterError(f"building {tag} from {DOCKERFILE} failed: {exc}") from exc

    # -- lifecycle ------------------------------------------------------------------------

    def up(self, topology: Topology) -> ClusterStatus:
        # The state dir marks a home a docker cluster was made from: commands without --backend
        # ask the engine only then (cluster.select.backend_in_use).
        self.state_dir.mkdir(parents=True, exist_ok=True)
        running = self._reuse_or_clean(topology)
        if running is not None:
            return running
        base_port, kept = self._kept_data_base_port(topology)
        image = self.ensure_image()
        plan = find_free_plan(topology, base_port, aliases=loopback_aliases_present())
        layouts = node_layouts(spec.NODE_ROOT, plan, topology)
        endpoint = f"http://127.0.0.1:{layouts[0].ports.public}"
        specs = spec.container_specs(self.cluster, image, layouts, topology, endpoint)
        try:
            for node in specs:
                self._start(node, endpoint, topology.mountpaths, kept)
            wait_ready(endpoint, topology.targets, self.startup_timeout_s,
                       check=self._check_all_running, describe_failure=self._log_tails)
        except (ClusterError, DockerException) as exc:
            self.down(keep_data=kept)
            if isinstance(exc, ClusterError):
                raise
            raise ClusterError(f"starting the docker cluster failed: {exc}") from exc
        status = self.status()
        assert status is not None
        return status

    def _reuse_or_clean(self, topology: Topology) -> ClusterStatus | None:
        """Reuse a healthy running cluster of the same topology; clear away a broken one."""
        containers = self._containers()
        if not containers:
            return None
        status = self.status()
        if status is not None and status.ready and all(n.alive for n in status.nodes):
            label = containers[0].labels.get(spec.LABEL_TOPOLOGY, "")
            if spec.parse_topology_label(label) != topology:
                raise ClusterError(
                    f"a docker cluster is already running at {status.endpoint} with topology "
                    f"{label} (proxies/targets/mountpaths); run `aisbench cluster down "
                    "--backend docker` first to change it")
            return status
        self.down(keep_data=True)  # a node died or never got ready: restart on its data
        return None

    def _kept_data_base_port(self, topology: Topology) -> tuple[int | None, bool]:
        """The base port of volumes kept by `down(keep_data=True)`, which must be reused."""
        volumes = self._volumes()
        if not volumes:
            return self.base_port, False
        labels = [v.attrs.get("Labels") or {} for v in volumes]
        kept = spec.parse_topology_label(labels[0].get(spec.LABEL_TOPOLOGY, ""))
        if kept != topology:
            raise ClusterError(
                f"this docker cluster's data was kept (topology {kept}); start it with the "
                "same topology, or run `aisbench cluster down --backend docker` to drop it")
        base_port = min(int(lab.get(spec.LABEL_PORT, "0")) for lab in labels)
        if self.base_port is not None and self.base_port != base_port:
            raise ClusterError(
                f"this docker cluster's data was kept with base port {base_port}; leave out "
                "--base-port, or run `aisbench cluster down --backend docker` to drop the data")
        return base_port, True

    def _start(self, node: spec.ContainerSpec, endpoint: str, mountpaths: int,
               kept: bool) -> None:
        client = self._docker()
        if not kept or not self._volume_exists(node.volume):
            client.volumes.create(name=node.volume, labels=node.label_dict)
        container = client.containers.create(**spec.create_kwargs(node))
        files = spec.node_config_files(node.layout, endpoint, mountpaths)
        archive = spec.tar_of(files, directories=spec.node_directories(node.layout))
        if not container.put_archive("/", archive):
            raise ClusterError(f"could not write the config of {node.name} into its volume")
        container.start()

    def _volume_exists(self, name: str) -> bool:
        try:
            self._docker().volumes.get(name)
        except NotFound:
            return False
        return True

    def _check_all_running(self) -> None:
        for container in self._containers():
            container.reload()
            if container.status not in ("created", "running"):
                code = container.attrs.get("State", {}).get("ExitCode")
                raise ClusterError(
                    f"container {container.name} ({container.labels[spec.LABEL_NODE]}) "
                    f"stopped during start (exit code {code}); its last lines:\n"
                    f"{self._container_log(container, LOG_TAIL_LINES)}")

    def _log_tails(self) -> str:
        return "\n".join(f"--- {c.name}:\n{self._container_log(c, 10)}"
                         for c in self._containers())

    def down(self, keep_data: bool = False) -> None:
        """Stop and remove this cluster's containers (targets first), then its volumes."""
        containers = self._containers()
        ports = self._ports_of(containers)
        for container in reversed(containers):  # the primary last
            try:
                container.stop(timeout=spec.STOP_GRACE_S)
                container.remove(v=False)
            except NotFound:
                pass  # already gone
        if not keep_data:
            for volume in self._volumes():
                volume.remove(force=True)
        _wait_until(lambda: all_free(ports), _PORTS_FREE_WAIT_S)

    @staticmethod
    def _ports_of(containers: list[Container]) -> list[NodePorts]:
        """Where the cluster's nodes listen (public, control, data)."""
        if not containers:
            return []
        topology = spec.parse_topology_label(containers[0].labels.get(spec.LABEL_TOPOLOGY, ""))
        base = min(int(c.labels.get(spec.LABEL_PORT, "0")) for c in containers)
        return plan_ports(base, topology, loopback_aliases_present()) if topology else []


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def docker_cluster_from_settings(settings: ClusterSettings) -> DockerCluster:
    """The docker backend for the CLI. A missing aisnode only matters when an image is built."""
    binary: Path | None
    try:
        binary = find_binary("aisnode", settings.home)
    except ClusterError:
        binary = None
    return DockerCluster(settings.state_dir, image=settings.image, aisnode_binary=binary,
                         base_port=settings.base_port,
                         startup_timeout_s=settings.startup_timeout_s)


__all__ = ["DockerCluster", "docker_cluster_from_settings", "file_sha256"]
