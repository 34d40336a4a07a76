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
    FAST_OBJECT_STRATEGIES,
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
    # + about 3 s of process start per case, 20 s of cluster start: 70 s measured on 2 cores
    assert measured_s <= 45


def test_smoke_is_the_headline_ours_official_webdataset_and_the_ceiling_on_one_dataset():
    cases = expand(load_scenario(find_scenario("smoke"), STRATEGIES, READERS))
    assert [c.strategy for c in cases] == ["aisref-shards", "official-shards",
                                           "webdataset-http", "aisloader"]
    assert len({c.dataset.bucket_name for c in cases}) == 1
    # Repeats enough for a confidence interval, workers as a user would run them.
    assert all(c.run.repeats >= 3 and c.loader.num_workers == 2 for c in cases)


def test_strategies_fast_sweeps_object_size_and_batch_size_over_the_fast_paths():
    cases = expand(load_scenario(find_scenario("strategies-fast"), STRATEGIES, READERS))
    sizes = sorted({c.dataset.object_size.min_bytes for c in cases if c.dataset.object_size})
    assert sizes == [16 * 2**10, 256 * 2**10, 2**20, 16 * 2**20]
    assert {c.loader.batch_size for c in cases} == {8, 32}
    assert set(FAST_OBJECT_STRATEGIES) <= {c.strategy for c in cases}


def test_strategies_fast_has_the_ceiling_of_every_loader_at_every_size_and_batch():
    from aisbench.strategies import STRATEGIES as REGISTRY
    cases = expand(load_scenario(find_scenario("strategies-fast"), STRATEGIES, READERS))
    present = {(c.strategy, c.dataset.object_size, c.loader.batch_size) for c in cases}
    for c in cases:
        ceiling = REGISTRY[c.strategy]
        ceiling_batch = c.loader.batch_size if ceiling.ceiling == "aisloader-getbatch" else 8
        assert (ceiling.ceiling, c.dataset.object_size, ceiling_batch) in present, c.case_id


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
    loaders = [c for c in cases if c.strategy != "aisloader"]
    assert [c.loader.num_workers for c in loaders] == [0, 1, 2, 4, 8]
    assert [c.strategy for c in cases if c.strategy == "aisloader"] == ["aisloader"]


def test_workers_emulates_an_accelerator_so_its_report_can_answer_the_au_question():
    cases = expand(load_scenario(find_scenario("workers"), STRATEGIES, READERS))
    assert {c.accelerator.compute_ms_per_batch for c in cases} == {50.0}


def test_smoke_measures_raw_loader_throughput_with_no_accelerator():
    # A training step would cap its headline at the step's rate. Its report's AU answer says
    # "no accelerator emulated" (num_workers is fixed anyway); `workers` answers it.
    cases = expand(load_scenario(find_scenario("smoke"), STRATEGIES, READERS))
    assert {c.accelerator.compute_ms_per_batch for c in cases} == {0.0}


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
