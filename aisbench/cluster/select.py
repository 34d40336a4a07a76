"""Choose the cluster backend from typed settings: external (AIS_ENDPOINT), local, or docker."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aisbench.cluster.authn import ClusterAuth
from aisbench.cluster.base import ClusterBackend, ClusterError
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.external import ExternalCluster
from aisbench.cluster.local import LocalCluster
from aisbench.cluster.tls import make_self_signed

BACKENDS = ("local", "docker")


@dataclass(frozen=True)
class ClusterSettings:
    """Where aisbench keeps binaries and cluster state, and which cluster to use."""

    home: Path  # <home>/bin holds aisnode/aisloader; <home>/state/<backend> the cluster state
    backend: str = "local"
    endpoint: str | None = None  # an external cluster: never started or stopped
    base_port: int | None = None
    image: str | None = None
    startup_timeout_s: float = 120.0
    https: bool = False  # local: serve HTTPS with a CA and certificate kept in <home>/tls
    auth: bool = False  # local: require tokens (issue them with `aisbench cluster token`)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ClusterError(f"unknown cluster backend {self.backend!r}; "
                               f"allowed: {', '.join(BACKENDS)}")

    @property
    def state_dir(self) -> Path:
        return self.home / "state" / self.backend


def default_home(env: Mapping[str, str] = os.environ) -> Path:
    """$AISBENCH_HOME, else .ais/ in the source checkout, else ~/.aisbench."""
    if env.get("AISBENCH_HOME"):
        return Path(env["AISBENCH_HOME"]).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists():
        return checkout / ".ais"
    return Path.home() / ".aisbench"


def settings_from_env(backend: str = "local", env: Mapping[str, str] = os.environ,
                      **overrides: object) -> ClusterSettings:
    endpoint = env.get("AIS_ENDPOINT") or None
    return ClusterSettings(home=default_home(env), backend=backend, endpoint=endpoint,
                           **overrides)  # type: ignore[arg-type]


def make_backend(settings: ClusterSettings) -> ClusterBackend:
    if settings.endpoint:
        return ExternalCluster(settings.endpoint)
    if (settings.https or settings.auth) and settings.backend != "local":
        raise ClusterError("--https and --auth are supported by the local backend only")
    if settings.backend == "docker":
        from aisbench.cluster.docker_backend import docker_cluster_from_settings

        return docker_cluster_from_settings(settings)
    return LocalCluster(settings.state_dir,
                        find_aisnode=lambda: find_binary("aisnode", settings.home),
                        base_port=settings.base_port,
                        startup_timeout_s=settings.startup_timeout_s,
                        tls=make_self_signed(settings.home / "tls") if settings.https else None,
                        auth=ClusterAuth.generate() if settings.auth else None)


def backend_in_use(settings_for: Callable[[str], ClusterSettings],
                   make: Callable[[ClusterSettings], ClusterBackend] = make_backend) -> str:
    """The backend of the cluster aisbench runs under this home, for commands that act on a
    running cluster (status, logs, down) when no --backend is given: local when its state is
    there, else docker when a docker cluster was made here and still runs, else local."""
    local = settings_for("local")
    if local.endpoint or make(local).status() is not None:
        return "local"
    docker = settings_for("docker")
    if docker.state_dir.is_dir():  # the docker backend was used here: ask the engine
        try:
            if make(docker).status() is not None:
                return "docker"
        except ClusterError:  # no engine answers: no docker cluster runs
            pass
    return "local"


def issue_token(settings: ClusterSettings, user: str) -> str:
    """A read-write token for ``user`` from the AuthN of the local cluster under this home."""
    cluster = LocalCluster(settings.state_dir,
                           find_aisnode=lambda: find_binary("aisnode", settings.home))
    return cluster.issue_token(user, find_binary("authn", settings.home))
