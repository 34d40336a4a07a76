"""The Compose project: the same containers as the docker backend, and a fresh golden copy."""

from __future__ import annotations

from pathlib import Path

import yaml

from aisbench.cluster import docker_compose
from aisbench.cluster import docker_spec as spec
from aisbench.cluster.base import Topology

REPO_DOCKER_DIR = Path(__file__).resolve().parents[3] / "docker"


def _document(targets: int = 2) -> dict:
    topology = Topology(proxies=1, targets=targets, mountpaths=1)
    specs = docker_compose.compose_specs(topology, 61080, "aisbench/aisnode:local")
    return docker_compose.compose_document(specs, "http://127.0.0.1:61080", mountpaths=1)


def test_there_is_one_service_and_one_volume_per_node() -> None:
    document = _document(targets=3)
    assert list(document["services"]) == ["proxy61080", "target61081", "target61082",
                                          "target61083"]
    assert len(document["volumes"]) == 4


def test_services_use_host_networking_and_publish_no_ports() -> None:
    for service in _document()["services"].values():
        assert service["network_mode"] == "host"
        assert "ports" not in service and "networks" not in service


def test_the_document_declares_no_networks() -> None:
    assert "networks" not in _document()


def test_targets_start_after_the_primary() -> None:
    services = _document()["services"]
    assert "depends_on" not in services["proxy61080"]
    assert services["target61081"]["depends_on"] == ["proxy61080"]


def test_configs_are_mounted_read_only_into_the_node_confdir() -> None:
    volumes = _document()["services"]["target61082"]["volumes"]
    assert volumes[0] == "aisbench-compose-target61082:/ais"
    assert ("./nodes/target61082/ais_local.json:/ais/nodes/target61082/conf/ais_local.json:ro"
            in volumes)


def test_volumes_carry_the_cluster_label() -> None:
    for volume in _document()["volumes"].values():
        assert volume["labels"][spec.LABEL_CLUSTER] == docker_compose.CLUSTER_ID


def test_the_repository_compose_project_is_the_generator_output(tmp_path: Path) -> None:
    docker_compose.write_compose_project(tmp_path, Topology(proxies=1, targets=2))
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for relative in generated:
        assert (REPO_DOCKER_DIR / relative).read_bytes() == (tmp_path / relative).read_bytes(), (
            f"docker/{relative} is stale: run `python -m aisbench.cluster.docker_compose`")


def test_the_written_compose_file_is_valid_yaml(tmp_path: Path) -> None:
    compose = docker_compose.write_compose_project(tmp_path, Topology(proxies=1, targets=1))
    assert set(yaml.safe_load(compose.read_text())["services"]) == {"proxy61080", "target61081"}
