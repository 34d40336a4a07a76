"""Faults scenario files: the shipped one loads with every fault; a malformed one fails with one
line naming the file, the key and what is allowed; measuring commands refuse it clearly."""

from pathlib import Path

import pytest
import yaml

from aisbench.faults.data_faults import CorruptShardSettings
from aisbench.faults.kinds import NoSettings
from aisbench.faults.network_faults import NetemSettings, SlowLinkSettings
from aisbench.faults.node_faults import FreezeSettings, KillRestartSettings
from aisbench.faults.registry import FAULT_KINDS
from aisbench.faults.scenario import fault_scenario_from_document
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
    assert scenario.faults == {
        "target_kill_restart": KillRestartSettings(restart_after_s=1.0),
        "target_kill": NoSettings(),
        "slow_link": SlowLinkSettings(delay_ms=20.0, drop_every=3),
        "target_freeze": FreezeSettings(connect_timeout_s=1.0, read_timeout_s=1.5),
        "kill_while_streaming": NoSettings(),
        "corrupt_shard": CorruptShardSettings(corruptions=["truncated", "garbage"]),
        "runner_kill": NoSettings(),
        "netem": NetemSettings(delay_ms=20, loss_pct=2.0),
    }
    assert list(scenario.faults) == [kind.key for kind in FAULT_KINDS]  # the registry's order
    assert scenario.soak is not None and scenario.soak.datasets == ("AISMapDataset",
                                                                     "AISShardReader")


def test_a_fault_written_without_settings_takes_its_defaults(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("kind: faults\nfaults:\n  target_kill:\n  slow_link:\n")
    scenario = load(path)
    assert scenario.faults == {"target_kill": NoSettings(), "slow_link": SlowLinkSettings()}
    assert SlowLinkSettings().drop_every == 3
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
     "another must keep serving", "2..16"),
    ("cluster: {backend: docker}\nfaults: {target_kill: {}}", "cluster.backend",
     "a cluster of its own", "local"),
    ("cluster: {targets: 65}\nfaults: {target_kill: {}}", "cluster.targets",
     "out of range", "1..64"),
    ("cluster: {target: 3}\nfaults: {target_kill: {}}", "cluster.target",
     "did you mean 'targets'", "targets"),
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
