"""The suite's steps come from the registry: the scenario's faults, in the registry's order,
epoch faults after each loader's baseline, bench faults after every epoch fault, the soak, and
the faults on clusters of their own last."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import yaml

from aisbench.faults import network_faults
from aisbench.faults.bench import FaultBench
from aisbench.faults.scenario import fault_scenario_from_document
from aisbench.faults.suite import bench_steps, own_cluster_steps

SCENARIO = """\
kind: faults
datasets: [AISMapDataset, AISShardReader]
num_workers: [0, 2]
faults:
  netem: {}
  corrupt_shard: {corruptions: [garbage]}
  target_kill: {}
  target_freeze: {}
  target_kill_restart: {}
soak: {datasets: [AISMapDataset]}
"""


def _labels(tmp_path: Path) -> tuple[list[str], list[str]]:
    scenario = fault_scenario_from_document(tmp_path / "f.yaml", yaml.safe_load(SCENARIO))
    bench = cast(FaultBench, SimpleNamespace(data=None, target_urls=lambda: ()))
    on_bench = [step.label for step in bench_steps(scenario, bench, tmp_path)]
    own = [step.label for step in own_cluster_steps(scenario, tmp_path, Path("aisnode"))]
    return on_bench, own


def test_steps_follow_the_registry_whatever_order_the_file_lists_them(tmp_path: Path) -> None:
    on_bench, own = _labels(tmp_path)
    per_loader = [f"{step} {d} w{w}" for d in ("AISMapDataset", "AISShardReader")
                  for w in (0, 2) for step in ("baseline", "kill and restart", "kill for good")]
    assert on_bench == [*per_loader, "target freeze",
                        "garbage shard AISShardReader w0", "garbage shard AISShardReader w2",
                        "soak AISMapDataset"]
    assert own == ["netem"]


def test_an_own_cluster_fault_gets_a_state_directory_named_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = fault_scenario_from_document(tmp_path / "f.yaml",
                                            {"kind": "faults", "faults": {"netem": {}}})
    seen: list[Any] = []
    monkeypatch.setattr(network_faults, "netem_epoch", lambda *args: seen.append(args))
    (step,) = own_cluster_steps(scenario, tmp_path, Path("aisnode"))
    step.run()
    assert seen == [(tmp_path / "netem", Path("aisnode"), 20, 2.0)]
