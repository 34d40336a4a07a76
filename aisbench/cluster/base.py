"""The one small interface every cluster backend implements, and the values it speaks in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from aisbench.errors import AisbenchError


class ClusterError(AisbenchError):
    """A cluster could not be started, found or stopped; the message says what to do."""


class TopologyMismatch(ClusterError):
    """A cluster with another topology is already running; stop it before starting this one."""


class ClusterNotReady(ClusterError):
    """The cluster did not report ready in time (the message carries the tail of the logs)."""


@dataclass(frozen=True)
class Topology:
    """How many nodes of each kind, and mountpaths per target."""

    proxies: int = 1
    targets: int = 2
    mountpaths: int = 1

    def __post_init__(self) -> None:
        for name in ("proxies", "targets", "mountpaths"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ClusterError(f"--{name} must be a whole number >= 1, got {value!r}")


@dataclass(frozen=True)
class NodeStatus:
    node_id: str
    role: str  # "proxy" | "target"
    port: int
    alive: bool
    pid: int | None = None
    container: str | None = None


@dataclass(frozen=True)
class ClusterStatus:
    backend: str  # "local" | "docker" | "external"
    endpoint: str
    ready: bool
    version: str | None = None
    nodes: tuple[NodeStatus, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()  # what a person should know (e.g. ports exposed beyond loopback)


class ClusterBackend(Protocol):
    """up/status/down/logs; an external cluster implements status only and refuses the rest."""

    name: str

    def up(self, topology: Topology) -> ClusterStatus: ...

    def status(self) -> ClusterStatus | None: ...

    def down(self, keep_data: bool = False) -> None: ...

    def logs(self, node: str | None = None, tail: int = 200) -> str: ...
