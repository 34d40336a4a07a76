"""The docker backend's container specs: host networking, labels, volumes, configs."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path, PurePosixPath

from aisbench.cluster import docker_spec as spec
from aisbench.cluster.base import Topology
from aisbench.cluster.local import node_layouts
from aisbench.cluster.ports import plan_ports

TOPOLOGY = Topology(proxies=1, targets=2, mountpaths=1)
ENDPOINT = "http://127.0.0.1:44080"


def _specs(topology: Topology = TOPOLOGY) -> list[spec.ContainerSpec]:
    layouts = node_layouts(spec.NODE_ROOT, plan_ports(44080, topology), topology)
    return spec.container_specs("c0ffee1234", "aisbench/aisnode:abc", layouts, topology,
                                ENDPOINT)


def test_cluster_id_is_stable_for_one_state_dir(tmp_path: Path) -> None:
    assert spec.cluster_id(tmp_path) == spec.cluster_id(tmp_path / "sub" / "..")


def test_cluster_id_differs_between_state_dirs(tmp_path: Path) -> None:
    assert spec.cluster_id(tmp_path / "a") != spec.cluster_id(tmp_path / "b")


def test_image_tag_is_derived_from_the_binary_hash() -> None:
    assert spec.image_tag("ab" * 32) == "aisbench/aisnode:abababababababab"
    assert spec.image_tag("ab" * 32) != spec.image_tag("cd" * 32)


def test_topology_label_round_trips() -> None:
    label = spec.topology_label(Topology(1, 3, 2))
    assert spec.parse_topology_label(label) == Topology(1, 3, 2)


def test_unreadable_topology_label_parses_to_none() -> None:
    assert spec.parse_topology_label("three targets") is None
    assert spec.parse_topology_label("1/0/1") is None  # Topology refuses 0 targets


def test_specs_start_with_the_primary_proxy_then_the_targets() -> None:
    roles = [s.layout.role for s in _specs()]
    assert roles == ["proxy", "target", "target"]
    assert _specs()[0].layout.ports.public == 44080


def test_each_node_gets_its_own_container_and_volume_named_after_the_cluster() -> None:
    specs = _specs()
    names = [s.name for s in specs]
    assert len(set(names)) == len(names)
    for node in specs:
        assert node.volume == node.name
        assert node.name == f"aisbench-c0ffee1234-{node.layout.node_id}"


def test_every_container_is_labelled_with_cluster_node_role_port_and_endpoint() -> None:
    for node in _specs():
        labels = node.label_dict
        assert labels[spec.LABEL_CLUSTER] == "c0ffee1234"
        assert labels[spec.LABEL_NODE] == node.layout.node_id
        assert labels[spec.LABEL_ROLE] == node.layout.role
        assert labels[spec.LABEL_PORT] == str(node.layout.ports.public)
        assert labels[spec.LABEL_ENDPOINT] == ENDPOINT
        assert spec.parse_topology_label(labels[spec.LABEL_TOPOLOGY]) == TOPOLOGY


def test_containers_use_host_networking_and_publish_no_ports() -> None:
    for node in _specs():
        kwargs = spec.create_kwargs(node)
        assert kwargs["network_mode"] == "host"
        assert "ports" not in kwargs
        assert "network" not in kwargs


def test_containers_get_no_kubernetes_environment() -> None:
    for node in _specs():
        assert spec.create_kwargs(node)["environment"] == {}


def test_the_node_volume_is_mounted_at_the_node_root() -> None:
    node = _specs()[1]
    volumes = spec.create_kwargs(node)["volumes"]
    assert volumes == {node.volume: {"bind": "/ais", "mode": "rw"}}


def test_the_command_runs_aisnode_with_the_node_role_and_id() -> None:
    proxy, target = _specs()[0], _specs()[1]
    kwargs = spec.create_kwargs(target)
    assert kwargs["entrypoint"] == ["aisnode"]
    assert "-role=target" in kwargs["command"]
    assert f"-daemon_id={target.layout.node_id}" in kwargs["command"]
    assert "-ntargets=2" in spec.create_kwargs(proxy)["command"]


def test_node_config_files_live_in_the_volume_and_point_at_the_primary() -> None:
    target = _specs()[2]
    files = spec.node_config_files(target.layout, ENDPOINT, mountpaths=1)
    assert all(str(path).startswith("/ais/") for path in files)
    cluster = json.loads(files[PurePosixPath(target.layout.config_path)])
    assert cluster["proxy"]["primary_url"] == ENDPOINT


def test_node_config_binds_loopback_with_ports_as_strings() -> None:
    target = _specs()[2]
    files = spec.node_config_files(target.layout, ENDPOINT, mountpaths=1)
    local = json.loads(files[PurePosixPath(target.layout.local_config_path)])
    assert local["host_net"]["hostname"] == "127.0.0.1"
    assert local["host_net"]["port"] == str(target.layout.ports.public)
    assert local["test_fspaths"]["instance"] == 2


def test_nodes_log_to_stderr_so_docker_logs_has_everything() -> None:
    proxy = _specs()[0]
    files = spec.node_config_files(proxy.layout, ENDPOINT, mountpaths=1)
    assert json.loads(files[PurePosixPath(proxy.layout.config_path)])["log"]["to_stderr"]


def test_node_directories_list_parents_before_children() -> None:
    dirs = spec.node_directories(_specs()[1].layout)
    assert dirs[0] == PurePosixPath("/ais")
    for index, directory in enumerate(dirs):
        assert all(parent in dirs[:index] for parent in directory.parents[:-1])


def test_config_tar_holds_the_directories_and_files() -> None:
    node = _specs()[0]
    files = spec.node_config_files(node.layout, ENDPOINT, mountpaths=1)
    archive = spec.tar_of(files, directories=spec.node_directories(node.layout))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members["ais"].isdir()
        for path, data in files.items():
            extracted = tar.extractfile(members[str(path).lstrip("/")])
            assert extracted is not None and extracted.read() == data


def test_cluster_filter_matches_only_the_cluster_label() -> None:
    assert spec.cluster_filter("c0ffee1234") == {"label": ["aisbench.cluster=c0ffee1234"]}
