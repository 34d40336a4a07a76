"""Faults scenario files: the shipped one loads with every fault; a malformed one fails with one
line naming the file, the key and what is allowed; measuring commands refuse it clearly."""

from pathlib import Path

import pytest
import yaml

from aisbench.faults.scenario import FreezeSettings, NetemSettings, fault_scenario_from_document
from aisbench.scenario.errors import ScenarioError
from aisbench.scenario.load import (
    find_scenario,
    is_faults_scenario,
    load_scenario,
    read_yaml,
)
from tests.unit.scenario.strategy_names import STRATEGIES

SHIPPED = find_scenario("faults")


def load(path: Path):
    return fault_scenario_from_document(path, read_yaml(path))


def test_shipped_faults_scenario_runs_every_fault_on_every_dataset():
    scenario = load(SHIPPED)
    assert is_faults_scenario(SHIPPED)
    assert scenario.name == "faults"
    assert scenario.topology.targets == 3
    assert scenario.datasets == ("AISMapDataset", "AISIterDataset", "AISShardReader",
                                 "AISMultiShardStream", "datapipes")
    assert scenario.num_workers == (0, 2)
    assert scenario.kill_restart is not None and scenario.kill_restart.restart_after_s == 1.0
    assert scenario.kill_for_good and scenario.kill_while_streaming and scenario.runner_kill
    assert scenario.freeze == FreezeSettings(connect_s=1.0, read_s=1.5)
    assert scenario.slow_link is not None and scenario.slow_link.delay_s == pytest.approx(0.02)
    assert scenario.slow_link.drop_every == 3
    assert scenario.netem == NetemSettings(delay_ms=20, loss_pct=2.0)
    assert scenario.corruptions == ("truncated", "garbage")
    assert scenario.soak is not None and scenario.soak.datasets == ("AISMapDataset",
                                                                     "AISShardReader")


def test_a_fault_written_without_settings_takes_its_defaults(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("kind: faults\nfaults:\n  target_kill:\n  slow_link:\n")
    scenario = load(path)
    assert scenario.kill_for_good
    assert scenario.slow_link is not None and scenario.slow_link.drop_every == 3
    assert scenario.kill_restart is None and not scenario.runner_kill
    assert scenario.name == "f"


@pytest.mark.parametrize(("body", "key", "problem", "allowed"), [
    ("faults: {target_kil: {}}", "faults.target_kil", "did you mean 'target_kill'",
     "target_kill_restart"),
    ("faults: {}", "faults", "nothing to run", "target_kill"),
    ("datasets: [AISMapDataset, AISMapDataset]\nfaults: {target_kill: {}}", "datasets",
     "listed twice", "each value once"),
    ("datasets: [AISMapDatset]\nfaults: {target_kill: {}}", "datasets[0]", "unknown value",
     "AISMapDataset"),
    ("datasets: []\nfaults: {target_kill: {}}", "datasets", "must not be empty",
     "non-empty list"),
    ("num_workers: [0, 99]\nfaults: {target_kill: {}}", "num_workers", "out of range",
     "0..16"),
    ("cluster: {targets: 1}\nfaults: {target_kill: {}}", "cluster.targets",
     "out of range, must be >= 2", "2..16"),
    ("faults: {target_kill_restart: {restart_after_s: '1'}}",
     "faults.target_kill_restart.restart_after_s", "not a number", "0..30 seconds"),
    ("faults: {slow_link: {drop_every: 1}}", "faults.slow_link.drop_every",
     "leaves nothing to measure", "N >= 2"),
    ("faults: {corrupt_shard: {corruptions: [shredded]}}",
     "faults.corrupt_shard.corruptions[0]", "unknown value", "truncated"),
    ("soak: {seconds: 0}", "soak.seconds", "out of range", "1..3600"),
    ("soak: {datasets: [datapipes]}", "soak.datasets[0]", "unknown value", "AISShardReader"),
])
def test_malformed_faults_scenario_fails_with_one_line_naming_file_key_and_allowed(
    tmp_path, body, key, problem, allowed,
):
    path = tmp_path / "bad.yaml"
    path.write_text("kind: faults\n" + body + "\n")
    yaml.safe_load(path.read_text())  # the test's own YAML is valid: the schema must object
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in info.value.problem, message
    assert allowed in info.value.allowed, message


def test_a_measuring_command_refuses_a_faults_scenario_naming_the_kind(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(SHIPPED, STRATEGIES)
    assert info.value.key == "kind"
    assert "`aisbench run` runs it" in info.value.problem


def test_an_unknown_kind_is_an_error_naming_it(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text("kind: chaos\nfaults: {target_kill: {}}\n")
    assert not is_faults_scenario(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, STRATEGIES)
    assert info.value.key == "kind" and "'chaos'" in info.value.got
