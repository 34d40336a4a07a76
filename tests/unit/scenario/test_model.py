import re

import pytest

from aisbench.scenario.model import (
    ClusterSpec,
    DatasetSpec,
    LoaderSettings,
    RunSettings,
    SizeRange,
)

OBJECTS = DatasetSpec(kind="objects", count=1000, seed=0, object_size=SizeRange(16384, 16384))
SHARDS = DatasetSpec(
    kind="shards",
    count=16,
    seed=0,
    samples_per_shard=64,
    members=(("jpg", 16384), ("cls", 8), ("json", 64)),
)


def test_dataset_hash_is_pinned_so_buckets_survive_upgrades():
    # If this changes, every generated dataset is regenerated: bump DATASET_LAYOUT_VERSION
    # on purpose, never by accident.
    assert OBJECTS.spec_hash == ("bb510408ea5cb32eae9580100f90e2017cacfdc609b3c35925fb0262d7da7add")
    assert OBJECTS.bucket_name == "aisbench-objects-bb510408ea5c"


def test_bucket_name_is_kind_and_twelve_hex_digits():
    assert re.fullmatch(r"aisbench-shards-[0-9a-f]{12}", SHARDS.bucket_name)


def test_equal_specs_share_a_hash():
    twin = DatasetSpec(kind="objects", count=1000, seed=0, object_size=SizeRange(16384, 16384))
    assert twin.spec_hash == OBJECTS.spec_hash


@pytest.mark.parametrize(
    "other",
    [
        DatasetSpec(kind="objects", count=1001, object_size=SizeRange(16384, 16384)),
        DatasetSpec(kind="objects", count=1000, seed=1, object_size=SizeRange(16384, 16384)),
        DatasetSpec(kind="objects", count=1000, object_size=SizeRange(16383, 16384)),
    ],
)
def test_any_change_to_the_data_changes_the_hash(other):
    assert other.spec_hash != OBJECTS.spec_hash


def test_member_order_is_part_of_the_shard_layout():
    reordered = DatasetSpec(
        kind="shards",
        count=16,
        samples_per_shard=64,
        members=(("cls", 8), ("jpg", 16384), ("json", 64)),
    )
    assert reordered.spec_hash != SHARDS.spec_hash


def test_dataset_counts_samples_and_payload():
    assert (OBJECTS.samples, OBJECTS.mean_sample_bytes) == (1000, 16384)
    assert (SHARDS.samples, SHARDS.mean_sample_bytes) == (1024, 16384 + 8 + 64)


def test_dataset_labels_read_naturally():
    assert OBJECTS.label == "1000 objects x 16KiB"
    assert SHARDS.label == "16 shards x 64 samples (jpg 16KiB, cls 8B, json 64B)"


def test_a_shards_spec_without_members_is_refused():
    with pytest.raises(ValueError):
        DatasetSpec(kind="shards", count=1, samples_per_shard=4)


def test_size_range_refuses_min_above_max():
    with pytest.raises(ValueError):
        SizeRange(10, 5)


def test_loader_without_workers_leaves_out_worker_only_options():
    assert LoaderSettings(num_workers=0, prefetch_factor=4).dataloader_kwargs() == {
        "num_workers": 0,
        "batch_size": 32,
    }


def test_loader_with_workers_passes_every_option():
    kwargs = LoaderSettings(num_workers=2, prefetch_factor=4, persistent_workers=True)
    assert kwargs.dataloader_kwargs() == {
        "num_workers": 2,
        "batch_size": 32,
        "prefetch_factor": 4,
        "persistent_workers": True,
    }


@pytest.mark.parametrize(("duration_s", "epochs"), [(None, None), (5.0, 2)])
def test_run_settings_need_exactly_one_length(duration_s, epochs):
    with pytest.raises(ValueError):
        RunSettings(duration_s=duration_s, epochs=epochs)


def test_topology_label_names_the_nodes():
    assert ClusterSpec("local", 1, 2, 1).topology_label == "local: 1 proxy, 2 targets, 1 mountpath"
    assert ClusterSpec("external").topology_label == "external"
