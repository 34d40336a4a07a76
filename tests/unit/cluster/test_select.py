"""status, logs and down find the running cluster without --backend."""

from __future__ import annotations

from pathlib import Path

from aisbench.cluster.base import ClusterBackend, ClusterError
from aisbench.cluster.select import ClusterSettings, backend_in_use


class FakeBackend:
    def __init__(self, running: bool | None) -> None:
        self.running = running  # None: the engine does not answer

    def status(self) -> object | None:
        if self.running is None:
            raise ClusterError("no Docker engine answers")
        return object() if self.running else None


def _detect(home: Path, local: bool, docker: bool | None, docker_used: bool = True,
            endpoint: str | None = None) -> tuple[str, list[str]]:
    asked: list[str] = []
    if docker_used:
        (home / "state" / "docker").mkdir(parents=True, exist_ok=True)

    def make(settings: ClusterSettings) -> ClusterBackend:
        asked.append(settings.backend)
        return FakeBackend(local if settings.backend == "local" else docker)  # type: ignore[return-value]

    found = backend_in_use(lambda b: ClusterSettings(home=home, backend=b, endpoint=endpoint),
                           make)
    return found, asked


def test_a_running_local_cluster_wins_without_asking_docker(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=True, docker=True) == ("local", ["local"])


def test_a_running_docker_cluster_is_found(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=False, docker=True) == ("docker", ["local", "docker"])


def test_nothing_running_means_local(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=False, docker=False)[0] == "local"


def test_docker_is_not_asked_where_it_was_never_used(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=False, docker=True, docker_used=False) == ("local", ["local"])


def test_no_engine_means_no_docker_cluster(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=False, docker=None)[0] == "local"


def test_an_external_endpoint_asks_nothing(tmp_path: Path) -> None:
    assert _detect(tmp_path, local=False, docker=True, endpoint="http://127.0.0.1:1") == (
        "local", [])
