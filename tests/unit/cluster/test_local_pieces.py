"""The pure parts of local cluster control: ports, configs, state, versions, environment."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from aisbench.cluster.base import ClusterError, Topology
from aisbench.cluster.binaries import (
    AISTORE_MODULE_VERSION,
    find_binary,
    parse_aisnode_version,
)
from aisbench.cluster.config import aisnode_argv, cluster_config, local_config
from aisbench.cluster.local import node_layouts
from aisbench.cluster.ports import endpoints, find_free_plan, plan_ports
from aisbench.cluster.processes import clean_environment
from aisbench.cluster.state import (
    STATE_FILE,
    ClusterState,
    NodeRecord,
    load_state,
    state_from_json,
    state_to_json,
)

REPO = Path(__file__).resolve().parents[3]


def test_topology_rejects_zero_targets() -> None:
    with pytest.raises(ClusterError, match=r"--targets must be a whole number >= 1, got 0"):
        Topology(proxies=1, targets=0)


def test_with_loopback_aliases_every_node_uses_one_port_on_three_addresses() -> None:
    plan = plan_ports(51080, Topology(proxies=1, targets=3), aliases=True)
    assert [node.public for node in plan] == [51080, 51081, 51082, 51083]
    assert plan[1].endpoints == (("127.0.0.1", 51081), ("127.0.0.2", 51081),
                                 ("127.0.0.3", 51081))
    assert all(node.loopback_only for node in plan)


def test_without_aliases_the_networks_share_127_0_0_1_on_three_ports() -> None:
    plan = plan_ports(51080, Topology(proxies=1, targets=1), aliases=False)
    assert len(set(endpoints(plan))) == 6
    assert {host for host, _ in endpoints(plan)} == {"127.0.0.1"}
    assert not any(node.loopback_only for node in plan)  # AIStore then binds INADDR_ANY


def test_nodes_listen_on_loopback_addresses_only(tmp_path: Path) -> None:
    topology = Topology(proxies=1, targets=1)
    proxy, _ = node_layouts(tmp_path, plan_ports(51080, topology), topology)
    host_net = local_config(proxy, 1)["host_net"]
    hosts = [host_net["hostname"], host_net["hostname_intra_control"],
             host_net["hostname_intra_data"]]
    assert hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    # Equal public and intra-control ports are what keeps AIStore off INADDR_ANY.
    assert host_net["port"] == host_net["port_intra_control"]


def test_explicit_base_port_in_use_names_the_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        with pytest.raises(ClusterError, match=rf"port {busy} on 127.0.0.1 is in use"):
            find_free_plan(Topology(), base=busy, aliases=False)


def test_free_plan_skips_blocks_with_a_busy_port() -> None:
    plan = find_free_plan(Topology(), is_free=lambda endpoint: endpoint[1] != 51080)
    assert 51080 not in {port for _, port in endpoints(plan)}


def test_layouts_put_proxies_first_and_give_targets_distinct_instances(tmp_path: Path) -> None:
    topology = Topology(proxies=1, targets=2)
    layouts = node_layouts(tmp_path, plan_ports(51080, topology), topology)
    assert [n.role for n in layouts] == ["proxy", "target", "target"]
    assert [n.instance for n in layouts[1:]] == [1, 2]
    assert all(len(n.node_id) >= 8 for n in layouts)  # aisnode refuses shorter ids


def test_local_config_writes_ports_as_strings_and_mountpaths_only_for_targets(
    tmp_path: Path,
) -> None:
    topology = Topology(proxies=1, targets=1)
    proxy, target = node_layouts(tmp_path, plan_ports(51080, topology), topology)
    assert local_config(proxy, 3)["host_net"]["port"] == "51080"
    assert local_config(proxy, 3)["test_fspaths"]["count"] == 0
    assert local_config(target, 3)["test_fspaths"]["count"] == 3


def test_cluster_config_points_at_the_primary_and_has_no_cloud_backends() -> None:
    config = cluster_config("http://127.0.0.1:51080")
    assert config["proxy"]["primary_url"] == "http://127.0.0.1:51080"
    assert config["backend"] == {}
    assert config["net"]["l4"]["proto"] == "tcp"


def test_only_the_primary_is_told_how_many_targets_to_wait_for(tmp_path: Path) -> None:
    topology = Topology(proxies=1, targets=2)
    proxy, target, _ = node_layouts(tmp_path, plan_ports(51080, topology), topology)
    assert "-ntargets=2" in aisnode_argv(Path("/bin/aisnode"), proxy, 2)
    assert not any(a.startswith("-ntargets") for a in aisnode_argv(Path("/x"), target, 2))


def test_state_round_trips_through_json(tmp_path: Path) -> None:
    topology = Topology(proxies=1, targets=1)
    layouts = node_layouts(tmp_path, plan_ports(51080, topology), topology)
    state = ClusterState(backend="local", endpoint="http://127.0.0.1:51080", proxies=1,
                         targets=1, mountpaths=1,
                         nodes=(NodeRecord(layouts[0], pid=11), NodeRecord(layouts[1])),
                         version="5.0.")
    assert state_from_json(state_to_json(state)) == state


def test_aisnode_version_is_read_from_its_usage_text() -> None:
    assert parse_aisnode_version("  ---\n  Version 5.0.v1.5.0 (build: )\n  Usage:") == "5.0.v1.5.0"
    # unstamped (plain `go install`): no dangling dot
    assert parse_aisnode_version("  ---\n  Version 5.0. (build: )\n  Usage:") == "5.0"
    assert parse_aisnode_version("usage: something else") is None


def test_kubernetes_and_ais_variables_never_reach_aisnode() -> None:
    env = {"PATH": "/bin", "KUBERNETES_SERVICE_HOST": "x", "AIS_ENDPOINT": "y", "HOME": "/r"}
    assert clean_environment(env) == {"PATH": "/bin", "HOME": "/r"}


def test_missing_binary_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ClusterError) as info:
        find_binary("aisnode", tmp_path, env={})
    message = str(info.value)
    assert "scripts/setup.sh" in message
    assert "AISNODE_BIN" in message and "AIS_ENDPOINT" in message


def test_pinned_version_matches_the_build_module() -> None:
    go_mod = (REPO / "tools" / "aisnode-build" / "go.mod").read_text()
    assert f"require github.com/NVIDIA/aistore {AISTORE_MODULE_VERSION}" in go_mod


def test_a_torn_state_file_is_a_cluster_error_that_names_it(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"backend": "local", "endpoint": ')
    with pytest.raises(ClusterError, match=rf"{STATE_FILE} is not a cluster state file.*delete"):
        load_state(tmp_path)
