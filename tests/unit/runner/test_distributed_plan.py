"""The pure parts of running a case over ranks: the CLI's node flags, the oversubscription
warning, torchrun's command line and environment, which process a case gets."""

import pytest

from aisbench.errors import InvalidValue
from aisbench.runner import run as run_module
from aisbench.runner.distributed import (
    NodePlan,
    node_plan,
    oversubscription_warning,
    rank_env,
    rendezvous_id,
    rendezvous_message,
    torchrun_argv,
)
from aisbench.strategies import StrategyContext
from tests.case_values import make_case

RDZV = "node0.example:29500"  # a placeholder: these tests only build values, nothing connects


def test_one_node_needs_no_flags():
    assert node_plan() == NodePlan(nnodes=1, node_rank=0, rdzv=None, rdzv_timeout_s=30.0)


@pytest.mark.parametrize(("args", "message"), [
    ({"nnodes": 0}, "--nnodes 0: allowed: an integer >= 1"),
    ({"nnodes": 2, "node_rank": 2, "rdzv": "h:1"}, "--node-rank 2: allowed: 0..1"),
    ({"nnodes": 2, "node_rank": -1, "rdzv": "h:1"}, "--node-rank -1: allowed: 0..1"),
    ({"nnodes": 2}, "--nnodes 2 needs --rdzv HOST:PORT"),
    ({"nnodes": 2, "rdzv": "127.0.0.1"}, "--rdzv '127.0.0.1': allowed: HOST:PORT"),
    ({"nnodes": 2, "rdzv": "127.0.0.1:99999"}, "--rdzv '127.0.0.1:99999': allowed: HOST:PORT"),
    ({"rdzv": "127.0.0.1:29500"}, "--rdzv is for runs over several nodes"),
    ({"nnodes": 2, "rdzv": "h:1", "rdzv_timeout_s": 0}, "--rdzv-timeout 0: allowed: seconds"),
])
def test_bad_node_flags_name_the_flag_and_what_it_takes(args, message):
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        node_plan(**args)


def test_oversubscription_warns_with_cores_ranks_and_workers():
    assert oversubscription_warning(ranks=2, workers=1, cores=2) is None
    assert oversubscription_warning(ranks=2, workers=0, cores=2) is None
    warning = oversubscription_warning(ranks=4, workers=2, cores=2)
    assert warning is not None
    assert warning.startswith("4 ranks x 2 loading processes each (num_workers 2) = 8 on 2 "
                              "cores")


def test_torchrun_runs_ranks_per_node_with_c10d_and_node_0_hosting():
    case = make_case(strategy="aisref-iter", ranks=4)
    host = torchrun_argv(case, NodePlan(2, 0, RDZV, 7.0), RDZV,
                         ["a"], module="m")
    assert host[1:3] == ["-m", "torch.distributed.run"]
    assert {"--nnodes=2", "--nproc-per-node=4", "--rdzv-backend=c10d",
            f"--rdzv-endpoint={RDZV}", "--local-addr=127.0.0.1",
            f"--rdzv-id={rendezvous_id(case)}"} <= set(host)
    assert "--rdzv-conf=is_host=true,join_timeout=7,read_timeout=7,last_call_timeout=1" in host
    assert host[-3:] == ["-m", "m", "a"]
    joining = torchrun_argv(case, NodePlan(2, 1, RDZV, 7.0), RDZV, [])
    assert any(arg.startswith("--rdzv-conf=is_host=false") for arg in joining)


def test_ranks_talk_over_loopback_unless_told_otherwise():
    env = rank_env({"PATH": "/bin", "MASTER_ADDR": "node9.example"}, NodePlan())
    assert (env["MASTER_ADDR"], env["GLOO_SOCKET_IFNAME"], env["PATH"]) == (
        "127.0.0.1", "lo", "/bin")
    # Across machines (values only: nothing here connects anywhere).
    plan = node_plan(2, 1, RDZV, local_addr="node1.example",
                     gloo_ifname="eth1")
    env = rank_env({}, plan)
    assert (env["MASTER_ADDR"], env["GLOO_SOCKET_IFNAME"]) == ("node1.example", "eth1")
    case = make_case(strategy="aisref-iter", ranks=2)
    assert "--local-addr=node1.example" in torchrun_argv(case, plan, RDZV, [])


@pytest.mark.parametrize(("kwargs", "flag"), [({"local_addr": ""}, "--local-addr"),
                                              ({"gloo_ifname": "e th0"}, "--gloo-ifname")])
def test_a_bad_address_or_interface_names_its_flag(kwargs, flag):
    with pytest.raises(InvalidValue, match=flag):
        node_plan(**kwargs)


def test_every_node_uses_one_rendezvous_id_per_case():
    one, other = make_case(strategy="aisref-iter"), make_case(strategy="aisref-map")
    assert rendezvous_id(one) == rendezvous_id(make_case(strategy="aisref-iter"))
    assert rendezvous_id(one) != rendezvous_id(other)


def test_rendezvous_errors_name_the_endpoint_and_the_fix():
    joining = rendezvous_message(NodePlan(2, 1, RDZV, 30), RDZV, "")
    assert joining.startswith(f"rendezvous at {RDZV} not reached by all 2 node(s) "
                              "within 30 s: start node rank 0")
    hosting = rendezvous_message(NodePlan(3, 0, RDZV, 30), RDZV, "")
    assert "start the other 2 node(s)" in hosting and "--rdzv-timeout" in hosting


def test_one_rank_stays_the_plain_fresh_process(monkeypatch):
    called: list[str] = []

    def fresh(case, ctx, run_id):
        called.append("fresh")

    def torchrun(*args, **kwargs):
        called.append("torchrun")

    monkeypatch.setattr(run_module, "run_in_fresh_process", fresh)
    monkeypatch.setattr(run_module, "run_ranks_in_torchrun", torchrun)
    case = make_case(strategy="aisref-iter")
    ctx = StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="p/",
                          dataset=case.dataset)
    run_module.run_case(case, ctx, "r", NodePlan(), print)
    assert called == ["fresh"]
    run_module.run_case(make_case(strategy="aisref-iter", ranks=2), ctx, "r", NodePlan(), print)
    assert called == ["fresh", "torchrun"]


def test_a_run_over_several_nodes_cannot_be_resumed(tmp_path):
    from aisbench.cluster import ClusterSettings
    from aisbench.commands import run_any
    from aisbench.runner import ResultPaths

    with pytest.raises(InvalidValue, match="--resume R1 with --nnodes 2: a run over several"):
        run_any(tmp_path / "s.yaml", ClusterSettings(home=tmp_path), ResultPaths(tmp_path),
                resume="R1", node=node_plan(2, 0, "127.0.0.1:29500"))
