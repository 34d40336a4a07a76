"""Synthetic dataset bytes: a pure function of the spec, and tars sized before they are built."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from aisbench.datagen.content import (
    MANIFEST_NAME,
    NUM_CLASSES,
    data_prefix,
    expected_items,
    item_name,
    member_bytes,
    object_bytes,
    shard_bytes,
    tar_size,
)
from aisbench.datagen.generate import missing_or_wrong
from aisbench.scenario.dataset import DatasetSpec, SizeRange


def objects(count: int = 4, size: int = 2048, seed: int = 0) -> DatasetSpec:
    return DatasetSpec(kind="objects", count=count, seed=seed,
                       object_size=SizeRange(size, size))


def shards(count: int = 2, samples: int = 3, members: tuple[tuple[str, int], ...] = (
        ("jpg", 1024), ("cls", 8)), seed: int = 0) -> DatasetSpec:
    return DatasetSpec(kind="shards", count=count, seed=seed, samples_per_shard=samples,
                       members=members)


def tar_members(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        out = []
        for info in tar.getmembers():
            extracted = tar.extractfile(info)
            assert extracted is not None
            out.append((info.name, extracted.read()))
        return out


def test_same_objects_spec_gives_the_same_bytes() -> None:
    assert [object_bytes(objects(), i) for i in range(4)] == \
        [object_bytes(objects(), i) for i in range(4)]


def test_same_shards_spec_gives_the_same_bytes() -> None:
    assert shard_bytes(shards(), 1) == shard_bytes(shards(), 1)


def test_different_seed_gives_different_object_bytes() -> None:
    assert object_bytes(objects(seed=0), 0) != object_bytes(objects(seed=1), 0)


def test_different_seed_gives_different_shard_bytes() -> None:
    assert shard_bytes(shards(seed=0), 0) != shard_bytes(shards(seed=1), 0)


def test_objects_of_one_dataset_differ_from_each_other() -> None:
    assert object_bytes(objects(), 0) != object_bytes(objects(), 1)


def test_ranged_object_sizes_stay_within_the_range() -> None:
    spec = DatasetSpec(kind="objects", count=50, object_size=SizeRange(100, 300))
    sizes = [len(object_bytes(spec, i)) for i in range(spec.count)]
    assert all(100 <= size <= 300 for size in sizes)
    assert [item.size for item in expected_items(spec)] == sizes


@pytest.mark.parametrize(("samples", "members"), [
    (1, (("bin", 512),)),
    (3, (("jpg", 1024), ("cls", 8))),
    (2, (("jpg", 1000), ("cls", 3), ("json", 64))),
    (5, (("bin", 1),)),
    (4, (("bin", 0), ("cls", 8))),
    # 20 samples x (512 header + 1536 data) = 40 KiB of members: crosses several 10240-byte
    # records, so the end-of-archive padding is exercised.
    (20, (("jpg", 1500),)),
    (7, (("jpg", 4097), ("cls", 8), ("json", 100))),
])
def test_tar_size_equals_the_length_of_the_built_shard(
        samples: int, members: tuple[tuple[str, int], ...]) -> None:
    spec = shards(count=2, samples=samples, members=members)
    assert tar_size(spec) == len(shard_bytes(spec, 0)) == len(shard_bytes(spec, 1))


def test_tar_size_is_a_whole_number_of_tar_records() -> None:
    assert tar_size(shards(samples=20, members=(("jpg", 1500),))) % tarfile.RECORDSIZE == 0


def test_shard_members_are_each_samples_files_in_spec_order() -> None:
    spec = shards(count=2, samples=3, members=(("jpg", 100), ("cls", 8), ("json", 64)))
    names = [name for name, _ in tar_members(shard_bytes(spec, 1))]
    assert names == [f"sample-{i:08d}.{ext}" for i in (3, 4, 5) for ext in ("jpg", "cls", "json")]


def test_shard_members_have_the_spec_sizes() -> None:
    spec = shards(samples=2, members=(("jpg", 1000), ("cls", 8)))
    assert [len(data) for _, data in tar_members(shard_bytes(spec, 0))] == [1000, 8, 1000, 8]


def test_shard_members_are_the_member_bytes() -> None:
    spec = shards(samples=2, members=(("jpg", 300), ("cls", 8)))
    members = dict(tar_members(shard_bytes(spec, 1)))
    assert members["sample-00000003.jpg"] == member_bytes(spec, 3, "jpg", 300)


def test_cls_member_is_the_label_as_text_padded_with_spaces() -> None:
    data = member_bytes(shards(), 7, "cls", 8)
    assert len(data) == 8
    assert data == data.strip().ljust(8, b" ")
    assert 0 <= int(data) < NUM_CLASSES


def test_json_member_is_the_key_and_label_padded_with_spaces() -> None:
    spec = shards()
    doc = json.loads(member_bytes(spec, 7, "json", 128))
    assert doc["key"] == "sample-00000007"
    assert doc["label"] == int(member_bytes(spec, 7, "cls", 8))


def test_cls_and_json_members_are_cut_to_a_small_size() -> None:
    assert len(member_bytes(shards(), 0, "json", 10)) == 10
    assert len(member_bytes(shards(), 0, "cls", 1)) == 1


def test_other_extensions_are_random_bytes_of_the_size() -> None:
    spec = shards()
    assert len(member_bytes(spec, 0, "jpg", 777)) == 777
    assert member_bytes(spec, 0, "jpg", 777) != member_bytes(spec, 1, "jpg", 777)


def test_missing_or_wrong_is_empty_when_everything_is_listed_with_its_size() -> None:
    spec = objects()
    listed: dict[str, int | None] = {item.name: item.size for item in expected_items(spec)}
    assert missing_or_wrong(spec, listed) == []


def test_missing_or_wrong_finds_an_absent_object() -> None:
    spec = objects()
    listed: dict[str, int | None] = {item.name: item.size for item in expected_items(spec)}
    del listed[item_name(spec, 2)]
    assert missing_or_wrong(spec, listed) == [item_name(spec, 2)]


def test_missing_or_wrong_finds_an_object_of_the_wrong_size() -> None:
    spec = shards()
    listed: dict[str, int | None] = {item.name: item.size for item in expected_items(spec)}
    listed[item_name(spec, 1)] = tar_size(spec) - 512
    assert missing_or_wrong(spec, listed) == [item_name(spec, 1)]


def test_missing_or_wrong_treats_an_unknown_size_as_wrong() -> None:
    spec = objects(count=1)
    assert missing_or_wrong(spec, {item_name(spec, 0): None}) == [item_name(spec, 0)]


@pytest.mark.parametrize("spec", [objects(), shards()], ids=["objects", "shards"])
def test_data_prefix_matches_every_data_object_but_not_the_manifest(spec: DatasetSpec) -> None:
    prefix = data_prefix(spec)
    assert all(item.name.startswith(prefix) for item in expected_items(spec))
    assert not MANIFEST_NAME.startswith(prefix)
