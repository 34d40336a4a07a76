"""DockerCluster's decisions, against a fake Docker client (no engine needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound

from aisbench.cluster import docker_spec as spec
from aisbench.cluster.base import ClusterError
from aisbench.cluster.docker_backend import DockerCluster, file_sha256


class FakeImages:
    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.builds: list[dict[str, Any]] = []
        self.context_files: list[set[str]] = []

    def get(self, name: str) -> object:
        if name not in self.present:
            raise ImageNotFound(name)
        return object()

    def build(self, **kwargs: Any) -> tuple[object, list[object]]:
        self.builds.append(kwargs)
        self.context_files.append({p.name for p in Path(kwargs["path"]).iterdir()})
        self.present.add(kwargs["tag"])
        return object(), []


class FakeContainers:
    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def list(self, all: bool = False, filters: dict[str, Any] | None = None) -> list[object]:
        self.filters.append(filters or {})
        return []


class FakeClient:
    def __init__(self, present: set[str] | None = None) -> None:
        self.images = FakeImages(present or set())
        self.containers = FakeContainers()


@pytest.fixture
def fake_aisnode(tmp_path: Path) -> Path:
    """A stand-in binary that answers `-h` the way aisnode v1.5.0 does."""
    binary = tmp_path / "aisnode"
    binary.write_text("#!/bin/sh\necho 'Version 5.0. (build: test)'\n")
    binary.chmod(0o755)
    return binary


def _cluster(tmp_path: Path, client: FakeClient, **kwargs: Any) -> DockerCluster:
    return DockerCluster(tmp_path / "state", client=client, **kwargs)


def test_an_image_built_from_the_same_binary_is_reused(tmp_path: Path,
                                                       fake_aisnode: Path) -> None:
    tag = spec.image_tag(file_sha256(fake_aisnode))
    client = FakeClient(present={tag})
    assert _cluster(tmp_path, client, aisnode_binary=fake_aisnode).ensure_image() == tag
    assert client.images.builds == []


def test_a_new_binary_is_built_into_an_image_on_the_host_network(tmp_path: Path,
                                                                 fake_aisnode: Path) -> None:
    client = FakeClient()
    tag = _cluster(tmp_path, client, aisnode_binary=fake_aisnode).ensure_image()
    assert tag == spec.image_tag(file_sha256(fake_aisnode))
    (build,) = client.images.builds
    assert build["tag"] == tag
    assert build["network_mode"] == "host"
    assert build["pull"] is False
    assert client.images.context_files == [{"Dockerfile", "aisnode"}]


def test_the_build_context_is_removed_after_the_build(tmp_path: Path,
                                                      fake_aisnode: Path) -> None:
    _cluster(tmp_path, FakeClient(), aisnode_binary=fake_aisnode).ensure_image()
    assert list((tmp_path / "state").iterdir()) == []


def test_a_given_image_that_is_present_is_used_as_is(tmp_path: Path) -> None:
    client = FakeClient(present={"aistorage/aisnode-minimal:v1.5.0"})
    cluster = _cluster(tmp_path, client, image="aistorage/aisnode-minimal:v1.5.0")
    assert cluster.ensure_image() == "aistorage/aisnode-minimal:v1.5.0"
    assert client.images.builds == []


def test_without_binary_or_image_the_error_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"setup\.sh.*--image"):
        _cluster(tmp_path, FakeClient()).ensure_image()


def test_status_is_none_when_no_container_carries_our_label(tmp_path: Path) -> None:
    client = FakeClient()
    cluster = _cluster(tmp_path, client)
    assert cluster.status() is None
    assert client.containers.filters == [spec.cluster_filter(cluster.cluster)]


def test_logs_without_a_cluster_say_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="cluster up --backend docker"):
        _cluster(tmp_path, FakeClient()).logs()
