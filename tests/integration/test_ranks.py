"""Cases over torch.distributed ranks (loader.ranks), on the real cluster under real torchrun
(gloo on loopback): one node with 2 ranks (a map dataset: torch's DistributedSampler splits
it), two `aisbench run` processes standing for two nodes (an iterable dataset: aisref splits
it), a rendezvous nobody hosts, a rank that crashes. Kept small: 101 objects of 1 KiB, one
epoch per window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aisbench.cluster import ClusterSettings
from aisbench.runner import RendezvousFailed, RunOptions, node_plan, run_scenario_as_node
from aisbench.runner.distributed import NodePlan, free_port, run_ranks_in_torchrun
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.strategies import StrategyContext
from aisref.client import Client
from tests.case_values import make_case

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SEED = 15_015_001  # this module's own dataset bucket
COUNT = 101  # odd: 2 ranks read 51 each, the last one the first sample again (padding 1)
DATASET = DatasetSpec(kind="objects", count=COUNT, seed=SEED, object_size=SizeRange(1024, 1024))


def scenario_text(name: str, strategies: str, ranks: int) -> str:
    return f"""\
name: {name}
cluster: {{backend: local}}
dataset: {{kind: objects, count: {COUNT}, object_size: 1KiB, seed: {SEED}}}
loader: {{batch_size: 8, num_workers: 0, ranks: {ranks}}}
run: {{epochs: 1, warmup_s: 0, repeats: 2}}
matrix:
  strategy: [{strategies}]
"""


def aisbench(*args: str, endpoint: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AIS_ENDPOINT": endpoint}
    return subprocess.Popen([sys.executable, "-m", "aisbench.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err


def only_run(reports: Path) -> dict[str, Any]:
    files = sorted((reports / "runs").glob("*.json"))
    assert len(files) == 1, files
    run: dict[str, Any] = json.loads(files[0].read_text())
    return run


@pytest.fixture(scope="module")
def dataset_cleanup(ais_endpoint: str) -> Iterator[None]:
    yield
    Client(ais_endpoint).bucket(DATASET.bucket_name).delete(missing_ok=True)


@pytest.fixture(scope="module")
def one_node_run(ais_endpoint: str, dataset_cleanup: None,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The run's JSON document, with the report folder under "_reports"."""
    tmp = tmp_path_factory.mktemp("ranks")
    scenario = tmp / "ranks-test.yaml"
    scenario.write_text(scenario_text("ranks-test", "aisref-map", 2))
    code, output = finish(aisbench("run", str(scenario), "--reports", str(tmp / "reports"),
                                   "--quiet", endpoint=ais_endpoint))
    assert code == 0, output
    return {**only_run(tmp / "reports"), "_reports": tmp / "reports"}


def test_two_ranks_each_read_their_half_of_every_epoch(one_node_run):
    (case,) = one_node_run["cases"]
    assert case["status"] == "ok", case["reason"]
    dist = case["distributed"]
    assert (dist["world_size"], dist["nnodes"]) == (2, 1)
    assert [r["rank"] for r in dist["ranks"]] == [0, 1]
    # ceil(101 / 2) = 51 samples per rank per epoch (torch's DistributedSampler), one epoch
    # per repeat.
    assert [[m["samples"] for m in r["repeats"]] for r in dist["ranks"]] == [[51, 51]] * 2
    assert [m["samples"] for m in case["repeats"]] == [102, 102]
    assert [m["bytes"] for m in case["repeats"]] == [102 * 1024] * 2
    for index, total in enumerate(case["repeats"]):
        assert total["duration_s"] == max(r["repeats"][index]["duration_s"]
                                          for r in dist["ranks"])
    assert dist["exactly_once"] == {"expected": 101, "epochs_checked": 2, "reads": 204,
                                    "padding": 2, "duplicates": 0, "missing": 0, "note": ""}


def test_the_report_has_a_per_rank_table(one_node_run):
    summary = one_node_run["_reports"] / f"ranks-test-{one_node_run['run_id']}" / "summary.md"
    text = summary.read_text()
    assert "**Ranks of `strategy=aisref-map`**: 2 ranks on 1 node" in text
    assert "exactly once (2 epochs, 0 duplicates, 0 missing, 2 padding)" in text


def test_two_nodes_on_one_machine_keep_one_run_on_node_rank_0(ais_endpoint, dataset_cleanup,
                                                               tmp_path):
    scenario = tmp_path / "ranks-nodes.yaml"
    scenario.write_text(scenario_text("ranks-nodes", "aisref-iter", 2))
    rdzv = f"127.0.0.1:{free_port()}"
    nodes = [aisbench("run", str(scenario), "--reports", str(tmp_path / f"node{rank}"),
                      "--quiet", "--no-report", "--nnodes", "2", "--node-rank", str(rank),
                      "--rdzv", rdzv, endpoint=ais_endpoint) for rank in (0, 1)]
    (code0, out0), (code1, out1) = (finish(node) for node in nodes)
    assert (code0, code1) == (0, 0), out0 + out1
    assert not (tmp_path / "node1" / "runs").exists()  # node rank 0 keeps the results
    case = only_run(tmp_path / "node0")["cases"][0]
    dist = case["distributed"]
    assert (dist["world_size"], dist["nnodes"]) == (4, 2)
    assert sorted(r["node"] for r in dist["ranks"]) == [0, 0, 1, 1]
    # ceil(101 / 4) = 26 per rank per epoch; 4 * 26 - 101 = 3 padding per epoch.
    assert [[m["samples"] for m in r["repeats"]] for r in dist["ranks"]] == [[26, 26]] * 4
    check = dist["exactly_once"]
    assert (check["epochs_checked"], check["padding"], check["duplicates"],
            check["missing"]) == (2, 6, 0, 0)
    assert "1 case(s) over ranks joined" in out1


def test_an_unreachable_rendezvous_fails_in_bounded_time_naming_it(ais_endpoint, tmp_path):
    # Node rank 1 of a run whose node rank 0 never comes: in-process (the CLI prints the
    # same AisbenchError as one line), which saves the CLI's start-up.
    scenario = tmp_path / "ranks-alone.yaml"
    scenario.write_text(scenario_text("ranks-alone", "aisref-iter", 2))
    rdzv = f"127.0.0.1:{free_port()}"  # nobody hosts it
    options = RunOptions(scenario_path=scenario, results_db=tmp_path / "db",
                         runs_dir=tmp_path / "runs", progress=False,
                         node=node_plan(2, 1, rdzv, rdzv_timeout_s=3))
    started = time.monotonic()
    with pytest.raises(RendezvousFailed) as failure:
        run_scenario_as_node(options, ClusterSettings(home=tmp_path, endpoint=ais_endpoint),
                             log=lambda _: None)
    elapsed = time.monotonic() - started
    assert str(failure.value).startswith(f"rendezvous at {rdzv} not reached by all 2 node(s) "
                                         "within 3 s: start node rank 0 first")
    assert elapsed < 30, f"took {elapsed:.0f} s with --rdzv-timeout 3"


def test_a_crashing_rank_is_named_with_its_stderr(tmp_path):
    case = make_case(strategy="aisref-iter", ranks=2)
    ctx = StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="p/",
                          dataset=case.dataset)
    result = run_ranks_in_torchrun(case, ctx, "run-x", NodePlan(), case_timeout_s=60,
                                   module="tests.integration.crashing_rank")
    assert result.status == "failed"
    assert result.reason.startswith("rank 1 failed"), result.reason
    assert "rank 1 broke on purpose" in result.reason
