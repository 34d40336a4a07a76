from pathlib import Path

import pytest

from aisbench.scenario.errors import ScenarioError
from aisbench.scenario.load import find_scenario, list_scenarios, load_scenario
from aisbench.scenario.model import ClusterSpec, LoaderSettings, SizeRange
from tests.unit.scenario.strategy_names import READERS, STRATEGIES
from tests.unit.scenario.writing import MINIMAL, write_scenario


def load(tmp_path: Path, text: str, name: str = "mine"):
    return load_scenario(write_scenario(tmp_path, text, name), STRATEGIES)


def test_minimal_file_gets_documented_defaults(tmp_path):
    defaults = load(tmp_path, MINIMAL).defaults
    assert defaults.cluster == ClusterSpec("local", 1, 2, 1)
    assert defaults.loader == LoaderSettings(num_workers=0, batch_size=32, prefetch_factor=2)
    assert defaults.transform == "none"
    assert defaults.etl is None
    assert defaults.accelerator.compute_ms_per_batch == 0
    assert (defaults.run.warmup_s, defaults.run.repeats) == (2.0, 3)


def test_name_defaults_to_the_file_name(tmp_path):
    assert load(tmp_path, MINIMAL, name="quick-check").name == "quick-check"


def test_name_in_the_file_wins(tmp_path):
    assert load(tmp_path, "name: other\n" + MINIMAL).name == "other"


def test_source_is_the_file_path(tmp_path):
    path = write_scenario(tmp_path, MINIMAL)
    assert load_scenario(path, STRATEGIES).source == path


def test_sizes_are_stored_as_int_bytes(tmp_path):
    dataset = load(tmp_path, MINIMAL).defaults.dataset
    assert dataset.object_size == SizeRange(16384, 16384)


def test_object_size_may_be_a_range(tmp_path):
    text = MINIMAL.replace("16KiB", "{min: 4KiB, max: 64KiB}")
    assert load(tmp_path, text).defaults.dataset.object_size == SizeRange(4096, 65536)


def test_shard_members_keep_their_order_and_sizes(tmp_path):
    text = """\
    dataset:
      kind: shards
      count: 4
      samples_per_shard: 8
      members: {jpg: 16KiB, cls: 8B, json: 64B}
    strategy: aisref-shards
    run: {epochs: 1}
    """
    dataset = load(tmp_path, text).defaults.dataset
    assert dataset.members == (("jpg", 16384), ("cls", 8), ("json", 64))
    assert dataset.samples_per_shard == 8


def test_epochs_instead_of_duration(tmp_path):
    run = load(tmp_path, MINIMAL.replace("duration_s: 4", "epochs: 2")).defaults.run
    assert (run.mode, run.epochs, run.duration_s) == ("epochs", 2, None)


def test_strategy_may_come_from_the_matrix_alone(tmp_path):
    text = MINIMAL.replace("strategy: aisref-map\n", "") + "matrix: {strategy: [aisref-iter]}\n"
    scenario = load(tmp_path, text)
    assert scenario.defaults.strategy == "aisref-iter"


def test_matrix_values_are_typed_like_values_in_place(tmp_path):
    text = MINIMAL + "matrix:\n  dataset.object_size: [4KiB, {min: 1KiB, max: 2KiB}]\n"
    axis = load(tmp_path, text).matrix[0]
    assert axis.values == (SizeRange(4096, 4096), SizeRange(1024, 2048))


def test_matrix_may_vary_the_etl(tmp_path):
    text = MINIMAL + "matrix:\n  etl: [null, {name: echo}]\n"
    axis = load(tmp_path, text).matrix[0]
    assert [None if v is None else v.name for v in axis.values] == [None, "echo"]


def test_excludes_are_typed_pairs(tmp_path):
    text = MINIMAL + (
        "matrix:\n  loader.num_workers: [0, 2]\n  dataset.object_size: [1KiB, 2KiB]\n"
        "exclude:\n  - {loader.num_workers: 2, dataset.object_size: 2KiB}\n"
    )
    scenario = load(tmp_path, text)
    assert scenario.excludes == (
        (("loader.num_workers", 2), ("dataset.object_size", SizeRange(2048, 2048))),
    )


def test_a_strategy_paired_with_a_dataset_it_cannot_read_is_refused(tmp_path):
    path = write_scenario(tmp_path, MINIMAL.replace("aisref-map", "aisref-shards"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, STRATEGIES, READERS)
    assert info.value.key == "strategy"
    assert "cannot read objects datasets" in info.value.problem
    assert "aisref-map" in info.value.allowed


def test_reader_check_names_the_matrix_entry(tmp_path):
    text = MINIMAL + "matrix: {strategy: [aisref-map, webdataset-http]}\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, text), STRATEGIES, READERS)
    assert info.value.key == "matrix.strategy[1]"


def test_without_readable_kinds_dataset_kinds_are_not_checked(tmp_path):
    text = MINIMAL.replace("aisref-map", "aisref-shards")
    assert load(tmp_path, text).defaults.strategy == "aisref-shards"


def test_scenario_hash_ignores_name_and_description(tmp_path):
    first = load(tmp_path, "name: a\ndescription: one\n" + MINIMAL, name="a")
    second = load(tmp_path, "name: b\ndescription: two\n" + MINIMAL, name="b")
    assert first.scenario_hash == second.scenario_hash


def test_scenario_hash_changes_with_a_setting(tmp_path):
    first = load(tmp_path, MINIMAL, name="a")
    second = load(tmp_path, MINIMAL.replace("count: 100", "count: 101"), name="b")
    assert first.scenario_hash != second.scenario_hash


def test_an_unreadable_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "absent.yaml", STRATEGIES)
    assert str(info.value).startswith(f"{tmp_path / 'absent.yaml'}: file: cannot read")


def test_find_scenario_resolves_a_name_in_the_directory(tmp_path):
    path = write_scenario(tmp_path, MINIMAL, name="smoke")
    assert find_scenario("smoke", tmp_path) == path


def test_find_scenario_accepts_an_existing_path(tmp_path):
    path = write_scenario(tmp_path, MINIMAL, name="elsewhere")
    assert find_scenario(str(path), tmp_path / "nowhere") == path


def test_find_scenario_suggests_the_closest_name(tmp_path):
    write_scenario(tmp_path, MINIMAL, name="smoke")
    with pytest.raises(ScenarioError) as info:
        find_scenario("smok", tmp_path)
    assert "did you mean 'smoke'?" in str(info.value)
    assert info.value.allowed == "smoke"


def test_list_scenarios_is_sorted_names(tmp_path):
    for name in ("workers", "smoke"):
        write_scenario(tmp_path, MINIMAL, name=name)
    assert list_scenarios(tmp_path) == ["smoke", "workers"]


def test_loader_ranks_defaults_to_one_and_varies_as_a_case_dimension(tmp_path):
    from aisbench.scenario.expand import expand

    assert load(tmp_path, MINIMAL).defaults.loader.ranks == 1
    text = MINIMAL + "matrix:\n  loader.ranks: [1, 2, 4]\n"
    cases = expand(load(tmp_path, text))
    assert [(c.case_id, c.loader.ranks) for c in cases] == [
        ("ranks=1", 1), ("ranks=2", 2), ("ranks=4", 4)]
    assert all("ranks" not in c.loader.dataloader_kwargs() for c in cases)
