"""The dockerized cluster, for real: engine, image, 1 proxy + 2 targets, objects, teardown.

The engine comes from scripts/docker-engine.sh (it starts dockerd as root, else says why not);
without an engine every test here is skipped with that reason. The cluster runs on its own
free ports (from 26080 up, clear of the local cluster's 21080 block) and its own state dir.
The last test takes the cluster down; the fixture's teardown does it again, harmlessly.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from docker.client import DockerClient

from aisbench.cluster import docker_spec as spec
from aisbench.cluster.base import ClusterError, ClusterStatus, Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.docker_backend import DockerCluster
from aisbench.cluster.ports import (
    endpoint_is_free,
    endpoints,
    find_free_plan,
    loopback_aliases_present,
    plan_ports,
)
from aisbench.results.store import read_run_json
from tests.integration.cli_in_process import run_main
from tests.missing_tools import missing_tool

pytestmark = [pytest.mark.docker, pytest.mark.integration]

ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "docker-engine.sh"
TOPOLOGY = Topology(proxies=1, targets=2, mountpaths=1)
FIRST_BASE_PORT = 26080  # below the ephemeral port range (32768+)
HTTP_TIMEOUT_S = 30
OBJECTS = {f"docker-test/obj-{i}.bin": os.urandom(1024 * (i + 1)) for i in range(3)}


@dataclass(frozen=True)
class RunningCluster:
    backend: DockerCluster
    status: ClusterStatus
    base_port: int
    home: Path  # an aisbench home whose state/docker is this cluster's state dir


@pytest.fixture(scope="module")
def docker_client() -> DockerClient:
    """A client of a running engine, started by the script; else `missing_tool` skips or fails."""
    env = {**os.environ, "AISBENCH_APT_TIMEOUT_S": "300", "AISBENCH_DOCKER_WAIT_S": "60"}
    try:
        done = subprocess.run([str(ENGINE_SCRIPT)], capture_output=True, text=True,
                              timeout=420, env=env)
    except subprocess.TimeoutExpired:
        missing_tool(f"{ENGINE_SCRIPT.name} did not finish within 420 s")
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        missing_tool(f"no Docker engine: {lines[-1] if lines else f'exit {done.returncode}'}")
    return DockerClient.from_env(timeout=120)


def _free_base_port() -> int:
    for base in range(FIRST_BASE_PORT, FIRST_BASE_PORT + 400, 20):
        try:
            find_free_plan(TOPOLOGY, base, aliases=loopback_aliases_present())
        except ClusterError:
            continue
        return base
    raise AssertionError(f"no free block of ports from {FIRST_BASE_PORT}")


@pytest.fixture(scope="module")
def cluster(docker_client: DockerClient, tmp_path_factory: pytest.TempPathFactory,
            ais_home: Path) -> Iterator[RunningCluster]:
    base_port = _free_base_port()
    home = tmp_path_factory.mktemp("docker-home")
    (home / "bin").symlink_to(ais_home / "bin")
    backend = DockerCluster(home / "state" / "docker",
                            aisnode_binary=find_binary("aisnode", ais_home),
                            base_port=base_port, client=docker_client)
    try:
        yield RunningCluster(backend, backend.up(TOPOLOGY), base_port, home)
    finally:
        backend.down(keep_data=False)


@pytest.fixture(scope="module")
def bucket(cluster: RunningCluster) -> Iterator[str]:
    """A bucket holding OBJECTS, put through the proxy; destroyed afterwards."""
    endpoint, name = cluster.status.endpoint, "docker-test-bucket"
    url = f"{endpoint}/v1/buckets/{name}"
    created = requests.post(url, params={"provider": "ais"}, json={"action": "create-bck"},
                            timeout=HTTP_TIMEOUT_S)
    assert created.status_code == 200, created.text
    try:
        for obj, data in OBJECTS.items():
            put = requests.put(f"{endpoint}/v1/objects/{name}/{obj}", data=data,
                               timeout=HTTP_TIMEOUT_S)
            assert put.status_code == 200, put.text
        yield name
    finally:
        # After the down test the cluster, bucket and all, is gone already.
        with contextlib.suppress(requests.ConnectionError):
            requests.delete(url, params={"provider": "ais"}, json={"action": "destroy-bck"},
                            timeout=HTTP_TIMEOUT_S)


def _our_containers(client: DockerClient, backend: DockerCluster) -> list[object]:
    return list(client.containers.list(all=True, filters=spec.cluster_filter(backend.cluster)))


def test_status_reports_every_node_alive_in_its_own_container(cluster: RunningCluster) -> None:
    status = cluster.backend.status()
    assert status is not None and status.ready
    assert [n.role for n in status.nodes] == ["proxy", "target", "target"]
    assert all(n.alive for n in status.nodes)
    containers = [n.container for n in status.nodes]
    assert None not in containers and len(set(containers)) == len(containers)


def test_the_cluster_runs_the_pinned_aisnode_version(cluster: RunningCluster) -> None:
    assert cluster.status.version is not None
    assert cluster.status.version.startswith("5.0")


def test_every_container_uses_the_host_network_only(docker_client: DockerClient,
                                                    cluster: RunningCluster) -> None:
    for container in _our_containers(docker_client, cluster.backend):
        attrs = container.attrs  # type: ignore[attr-defined]
        assert attrs["HostConfig"]["NetworkMode"] == "host"
        assert set(attrs["NetworkSettings"]["Networks"]) == {"host"}
        assert not attrs["HostConfig"].get("PortBindings")


def test_every_node_keeps_its_state_in_a_labelled_volume(docker_client: DockerClient,
                                                         cluster: RunningCluster) -> None:
    volumes = docker_client.volumes.list(filters=spec.cluster_filter(cluster.backend.cluster))
    assert sorted(v.name for v in volumes) == sorted(
        str(n.container) for n in cluster.status.nodes)


def test_get_returns_the_bytes_that_were_put(cluster: RunningCluster, bucket: str) -> None:
    for obj, data in OBJECTS.items():
        got = requests.get(f"{cluster.status.endpoint}/v1/objects/{bucket}/{obj}",
                           timeout=HTTP_TIMEOUT_S)
        assert got.status_code == 200
        assert got.content == data


def test_listing_the_bucket_names_every_object(cluster: RunningCluster, bucket: str) -> None:
    listed = requests.get(
        f"{cluster.status.endpoint}/v1/buckets/{bucket}", params={"provider": "ais"},
        data=json.dumps({"action": "list", "value": {"prefix": "docker-test/", "props": "name"}}),
        headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT_S)
    assert listed.status_code == 200, listed.text
    names = {entry["name"] for entry in listed.json()["entries"] or []}
    assert names == set(OBJECTS)


def test_a_scenario_runs_against_the_dockerized_cluster(cluster: RunningCluster,
                                                       tmp_path: Path) -> None:
    scenario = tmp_path / "docker-smoke.yaml"
    scenario.write_text(
        "name: docker-smoke\n"
        "description: a tiny run on the containers\n"
        "cluster: {backend: external}\n"
        "dataset: {kind: objects, count: 60, object_size: 4KiB, seed: 3}\n"
        "loader: {num_workers: 1, batch_size: 8}\n"
        "run: {duration_s: 1, warmup_s: 0, repeats: 2}\n"
        "matrix:\n  strategy: [aisref-iter, aisloader]\n"
    )
    env = dict(os.environ, AIS_ENDPOINT=cluster.status.endpoint)
    run = subprocess.run([sys.executable, "-m", "aisbench.cli", "run", str(scenario),
                          "--reports", str(tmp_path / "reports"), "--no-report", "--quiet"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    record = read_run_json(next((tmp_path / "reports" / "runs").glob("*.json")))
    assert [c.status for c in record.cases] == ["ok", "ok"]
    assert all(m.samples > 0 for c in record.cases for m in c.repeats)


def test_logs_have_a_section_per_node(cluster: RunningCluster) -> None:
    logs = cluster.backend.logs(tail=20)
    for node in cluster.status.nodes:
        assert f"==> {node.node_id} ({node.container}) <==" in logs


def test_the_cli_finds_the_docker_cluster_without_being_told_the_backend(
        cluster: RunningCluster) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_main(["cluster", *args],
                        {"AISBENCH_HOME": str(cluster.home), "AIS_ENDPOINT": None})

    status = cli("status", "--json")
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert (found["backend"], found["endpoint"]) == ("docker", cluster.status.endpoint)
    assert found["version"] == cluster.status.version and not found["version"].endswith(".")
    logs = cli("logs", "--lines", "5")
    assert logs.returncode == 0, logs.stderr
    assert all(f"==> {n.node_id} ({n.container}) <==" in logs.stdout
               for n in cluster.status.nodes)


def test_up_again_reuses_the_running_cluster(cluster: RunningCluster) -> None:
    again = cluster.backend.up(TOPOLOGY)
    assert again.endpoint == cluster.status.endpoint
    assert [n.container for n in again.nodes] == [n.container for n in cluster.status.nodes]


def test_down_removes_its_containers_and_volumes_and_frees_the_ports(
        docker_client: DockerClient, cluster: RunningCluster) -> None:
    cluster.backend.down(keep_data=False)
    assert _our_containers(docker_client, cluster.backend) == []
    assert docker_client.volumes.list(filters=spec.cluster_filter(cluster.backend.cluster)) == []
    assert cluster.backend.status() is None
    plan = plan_ports(cluster.base_port, TOPOLOGY, loopback_aliases_present())
    busy = [e for e in endpoints(plan) if not endpoint_is_free(e)]
    assert busy == []
