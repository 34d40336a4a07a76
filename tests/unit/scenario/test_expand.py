import pickle
from pathlib import Path

from aisbench.scenario.expand import axis_labels, expand
from aisbench.scenario.load import load_scenario
from aisbench.scenario.model import Case, MatrixAxis
from tests.unit.scenario.strategy_names import STRATEGIES
from tests.unit.scenario.writing import MINIMAL, write_scenario


def cases_of(tmp_path: Path, matrix_text: str) -> list[Case]:
    return expand(load_scenario(write_scenario(tmp_path, MINIMAL + matrix_text), STRATEGIES))


def test_no_matrix_gives_one_case_named_default(tmp_path):
    cases = cases_of(tmp_path, "")
    assert [(c.case_id, dict(c.params)) for c in cases] == [("default", {})]


def test_cases_are_the_product_first_key_slowest(tmp_path):
    cases = cases_of(
        tmp_path, "matrix:\n  strategy: [aisref-map, aisref-iter]\n  loader.num_workers: [0, 2]\n"
    )
    assert [c.case_id for c in cases] == [
        "strategy=aisref-map,num_workers=0",
        "strategy=aisref-map,num_workers=2",
        "strategy=aisref-iter,num_workers=0",
        "strategy=aisref-iter,num_workers=2",
    ]


def test_each_case_carries_its_matrix_values(tmp_path):
    case = cases_of(tmp_path, "matrix:\n  loader.num_workers: [4]\n")[0]
    assert case.loader.num_workers == 4
    assert case.params == {"num_workers": 4}


def test_values_outside_the_matrix_come_from_the_file(tmp_path):
    case = cases_of(tmp_path, "matrix:\n  loader.num_workers: [4]\n")[0]
    assert case.loader.batch_size == 32
    assert case.dataset.count == 100


def test_get_batch_size_defaults_to_the_batch_size_and_can_be_swept(tmp_path):
    default, swept = cases_of(tmp_path, "matrix:\n  loader.get_batch_size: [null, 128]\n")
    assert (default.loader.get_batch_size, default.loader.objects_per_get_batch) == (None, 32)
    assert (swept.loader.get_batch_size, swept.loader.objects_per_get_batch) == (128, 128)
    assert swept.params == {"get_batch_size": 128}


def test_expansion_is_deterministic(tmp_path):
    text = "matrix:\n  strategy: [aisref-iter, aisref-map]\n  loader.batch_size: [64, 8]\n"
    assert cases_of(tmp_path, text) == cases_of(tmp_path, text)


def test_an_exclude_drops_the_cases_matching_all_its_keys(tmp_path):
    cases = cases_of(
        tmp_path,
        "matrix:\n  strategy: [aisref-map, aisref-iter]\n  loader.num_workers: [0, 4]\n"
        "exclude:\n  - {strategy: aisref-iter, loader.num_workers: 4}\n",
    )
    assert "strategy=aisref-iter,num_workers=4" not in [c.case_id for c in cases]
    assert len(cases) == 3


def test_sizes_read_as_sizes_in_case_ids_and_as_bytes_in_params(tmp_path):
    case = cases_of(tmp_path, "matrix:\n  dataset.object_size: [64KiB]\n")[0]
    assert case.case_id == "object_size=64KiB"
    assert case.params == {"object_size": 65536}


def test_size_ranges_read_as_a_span(tmp_path):
    case = cases_of(tmp_path, "matrix:\n  dataset.object_size: [{min: 1KiB, max: 4KiB}]\n")[0]
    assert case.case_id == "object_size=1KiB..4KiB"


def test_null_reads_none_and_booleans_read_lowercase(tmp_path):
    cases = cases_of(
        tmp_path,
        "loader: {num_workers: 2}\nmatrix:\n  etl: [null]\n  loader.persistent_workers: [true]\n",
    )
    assert cases[0].case_id == "etl=none,persistent_workers=true"


def test_clashing_short_names_fall_back_to_full_keys():
    axes = (MatrixAxis("a.size", (1,)), MatrixAxis("b.size", (2,)), MatrixAxis("c.seed", (0,)))
    assert axis_labels(axes) == ["a.size", "b.size", "seed"]


def test_cases_with_different_datasets_use_different_buckets(tmp_path):
    cases = cases_of(tmp_path, "matrix:\n  dataset.count: [10, 20]\n")
    assert len({c.dataset.bucket_name for c in cases}) == 2


def test_a_case_survives_a_round_trip_through_a_dict(tmp_path):
    for case in cases_of(tmp_path, "matrix:\n  etl: [null, {name: echo, args: x}]\n"):
        assert Case.from_dict(case.to_dict()) == case


def test_config_hash_differs_between_cases(tmp_path):
    cases = cases_of(tmp_path, "matrix:\n  loader.num_workers: [0, 2]\n")
    assert cases[0].config_hash != cases[1].config_hash


def test_shard_members_read_without_separators_that_would_split_a_case_id(tmp_path):
    text = """\
    dataset: {kind: shards, count: 2, samples_per_shard: 4, members: {jpg: 1KiB}}
    strategy: aisref-shards
    run: {duration_s: 1}
    matrix:
      dataset.members: [{jpg: 16KiB, cls: 8B}]
      loader.num_workers: [0]
    """
    scenario = load_scenario(write_scenario(tmp_path, text), STRATEGIES)
    case = expand(scenario)[0]
    assert case.case_id == "members=jpg:16KiB+cls:8B,num_workers=0"
    assert case.dataset.members == (("jpg", 16384), ("cls", 8))


def test_a_case_survives_pickling_for_a_worker_process(tmp_path):
    cases = cases_of(tmp_path, "matrix:\n  dataset.object_size: [1KiB, {min: 1KiB, max: 2KiB}]\n")
    assert pickle.loads(pickle.dumps(cases)) == cases
