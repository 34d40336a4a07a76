"""The state file of a cluster aisbench started: which nodes, where, with which pids."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from aisbench.atomic_file import write_text_atomically
from aisbench.cluster.base import ClusterError
from aisbench.cluster.config import NodeLayout, NodePorts

STATE_FILE = "cluster.json"


@dataclass(frozen=True)
class NodeRecord:
    layout: NodeLayout
    pid: int | None = None
    container: str | None = None


@dataclass(frozen=True)
class ClusterState:
    backend: str
    endpoint: str
    proxies: int
    targets: int
    mountpaths: int
    nodes: tuple[NodeRecord, ...]
    version: str | None = None
    ca_bundle: str | None = None  # an HTTPS cluster: the CA (PEM) its certificate chains to
    auth_required: bool = False  # clients need a token (the key is in the nodes' ais.json)

    def with_node(self, index: int, record: NodeRecord) -> ClusterState:
        nodes = list(self.nodes)
        nodes[index] = record
        return replace(self, nodes=tuple(nodes))


def _layout_from_json(raw: dict[str, Any]) -> NodeLayout:
    return NodeLayout(
        node_id=raw["node_id"], role=raw["role"], ports=NodePorts(**raw["ports"]),
        confdir=Path(raw["confdir"]), logdir=Path(raw["logdir"]),
        mountpath_root=Path(raw["mountpath_root"]), instance=int(raw["instance"]),
    )


def state_to_json(state: ClusterState) -> str:
    def encode(value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    raw = asdict(state)
    for node in raw["nodes"]:
        node["layout"] = {k: encode(v) for k, v in node["layout"].items()}
    return json.dumps(raw, indent=2)


def state_from_json(text: str) -> ClusterState:
    raw = json.loads(text)
    nodes = tuple(NodeRecord(layout=_layout_from_json(n["layout"]), pid=n.get("pid"),
                             container=n.get("container")) for n in raw["nodes"])
    return ClusterState(backend=raw["backend"], endpoint=raw["endpoint"],
                        proxies=raw["proxies"], targets=raw["targets"],
                        mountpaths=raw["mountpaths"], nodes=nodes, version=raw.get("version"),
                        ca_bundle=raw.get("ca_bundle"),
                        auth_required=bool(raw.get("auth_required", False)))


def load_state(state_dir: Path) -> ClusterState | None:
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    try:
        return state_from_json(path.read_text())
    except (ValueError, KeyError, TypeError) as err:  # a torn or hand-edited file
        raise ClusterError(f"{path} is not a cluster state file aisbench can read "
                           f"({type(err).__name__}: {err}); stop any aisnode it started, then "
                           f"delete the file") from None


def save_state(state_dir: Path, state: ClusterState) -> None:
    """Write atomically, so a crash mid-write never leaves half a state file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(state_dir / STATE_FILE, state_to_json(state))
