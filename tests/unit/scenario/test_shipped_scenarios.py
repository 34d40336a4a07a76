"""Every scenario shipped in scenarios/ loads, expands, and reads a dataset its strategies can."""

from pathlib import Path

import pytest

from aisbench.scenario.expand import expand
from aisbench.scenario.load import (
    DEFAULT_SCENARIOS_DIR,
    find_scenario,
    is_faults_scenario,
    list_scenarios,
    load_scenario,
)
from tests.unit.scenario.strategy_names import (
    OBJECT_STRATEGIES,
    READERS,
    SHARD_STRATEGIES,
    STRATEGIES,
)

# Measuring scenarios; `kind: faults` files are checked in tests/unit/faults.
SHIPPED = [name for name in list_scenarios(DEFAULT_SCENARIOS_DIR)
           if not is_faults_scenario(find_scenario(name))]


def test_the_documented_scenarios_are_shipped():
    expected = {
        "smoke",
        "workers",
        "shard-sizes",
        "strategies-objects",
        "strategies-shards",
        "etl",
        "regression",
        "gate",
    }
    assert expected <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_and_expands(name):
    scenario = load_scenario(find_scenario(name), STRATEGIES, READERS)
    cases = expand(scenario)
    assert cases
    assert len({case.case_id for case in cases}) == len(cases)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_is_named_like_its_file(name):
    assert load_scenario(find_scenario(name), STRATEGIES, READERS).name == name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_has_a_description(name):
    assert load_scenario(find_scenario(name), STRATEGIES, READERS).description


def test_smoke_is_small_enough_for_two_minutes():
    cases = expand(load_scenario(find_scenario("smoke"), STRATEGIES, READERS))
    measured_s = sum(c.run.warmup_s + c.run.repeats * (c.run.duration_s or 0.0) for c in cases)
    assert len(cases) == 4
    assert measured_s <= 60


def test_regression_repeats_five_times_for_a_stable_gate():
    cases = expand(load_scenario(find_scenario("regression"), STRATEGIES, READERS))
    assert {c.strategy for c in cases} == {"aisref-iter", "aisref-map"}
    assert all(c.run.repeats == 5 for c in cases)


def test_the_ab_gate_scenario_is_one_case_small_enough_for_a_three_minute_decision():
    (case,) = expand(load_scenario(find_scenario("gate"), STRATEGIES, READERS))
    assert case.strategy == "aisref-map" and case.loader.num_workers == 2
    # 12 blocks x 2 processes x (window + warmup + ~2 s of start-up) stays under 3 minutes
    assert 12 * 2 * (case.run.warmup_s + (case.run.duration_s or 0) + 2) <= 180


def test_strategies_scenarios_cover_every_strategy_once():
    objects = expand(load_scenario(find_scenario("strategies-objects"), STRATEGIES, READERS))
    shards = expand(load_scenario(find_scenario("strategies-shards"), STRATEGIES, READERS))
    assert sorted(c.strategy for c in objects) == sorted(OBJECT_STRATEGIES)
    assert sorted(c.strategy for c in shards) == sorted(SHARD_STRATEGIES)


def test_strategies_scenarios_share_one_dataset_each():
    for name in ("strategies-objects", "strategies-shards"):
        cases = expand(load_scenario(find_scenario(name), STRATEGIES, READERS))
        assert len({c.dataset.bucket_name for c in cases}) == 1


def test_workers_sweeps_the_documented_worker_counts():
    cases = expand(load_scenario(find_scenario("workers"), STRATEGIES, READERS))
    assert [c.loader.num_workers for c in cases] == [0, 1, 2, 4, 8]


def test_the_readme_documents_every_shipped_scenario():
    readme = (Path(DEFAULT_SCENARIOS_DIR) / "README.md").read_text()
    for name in SHIPPED:
        assert f"`{name}.yaml`" in readme


def test_the_readme_format_example_loads_and_expands(tmp_path):
    readme = (Path(DEFAULT_SCENARIOS_DIR) / "README.md").read_text()
    example = readme.split("## Format", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    cases = expand(load_scenario(path, STRATEGIES, READERS))
    assert len(cases) == 5  # 2 strategies x 3 worker counts, one excluded
