"""AISMapDataset and AISIterDataset against the real cluster: exactly once, in every mode."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from torch.utils.data import DataLoader

from aisref.client import (
    BucketNotFound,
    Client,
    ETLNotAvailable,
    ObjectNotFound,
)
from aisref.pytorch import AISIterDataset, AISMapDataset
from tests.integration.pytorch_fixtures import (
    ObjectsBucket,
    count_list_requests,
    import_official_pytorch,
    objects_bucket,
    pt_endpoint,
    scratch_bucket,
)

__all__ = ["objects_bucket", "pt_endpoint", "scratch_bucket"]  # fixtures used below

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
]
WORKER_COUNTS = [0, 2, 4]


def keep_as_list(batch: list[Any]) -> list[Any]:
    return batch


def load_all(dataset: Any, num_workers: int, batch_size: int | None = None) -> list[Any]:
    if batch_size is None:
        return list(DataLoader(dataset, batch_size=None, num_workers=num_workers))
    loader = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=keep_as_list
    )
    return [item for batch in loader for item in batch]


def as_multiset(items: Iterable[tuple[str, bytes]]) -> Counter[tuple[str, bytes]]:
    return Counter((name, bytes(data)) for name, data in items)


@pytest.mark.parametrize("num_workers", WORKER_COUNTS)
def test_map_dataset_yields_every_object_once(objects_bucket: ObjectsBucket, num_workers):
    dataset = AISMapDataset(objects_bucket.bucket())
    items = load_all(dataset, num_workers, batch_size=4)
    assert as_multiset(items) == Counter(objects_bucket.contents.items())


@pytest.mark.parametrize("num_workers", WORKER_COUNTS)
def test_iter_dataset_yields_every_object_once(objects_bucket: ObjectsBucket, num_workers):
    dataset = AISIterDataset(objects_bucket.bucket())
    assert as_multiset(load_all(dataset, num_workers)) == Counter(objects_bucket.contents.items())


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iter_dataset_splits_across_two_ranks_exactly_once(
    objects_bucket: ObjectsBucket, num_workers, monkeypatch
):
    read: Counter[tuple[str, bytes]] = Counter()
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        rank_items = load_all(AISIterDataset(objects_bucket.bucket()), num_workers)
        assert 0 < len(rank_items) < len(objects_bucket.contents)
        read += as_multiset(rank_items)
    assert read == Counter(objects_bucket.contents.items())


def test_bucket_is_listed_once_not_once_per_worker(objects_bucket: ObjectsBucket, monkeypatch):
    list_requests = count_list_requests(monkeypatch)
    dataset = AISIterDataset(objects_bucket.bucket())
    items = load_all(dataset, num_workers=4)
    assert len(items) == len(objects_bucket.contents)
    assert list_requests.value == 1


def test_progress_bars_do_not_change_what_is_read(objects_bucket: ObjectsBucket):
    dataset = AISIterDataset(objects_bucket.bucket(), show_progress=True)
    assert as_multiset(load_all(dataset, num_workers=2)) == Counter(objects_bucket.contents.items())


def test_prefix_map_accepts_a_prefix_or_a_list_per_source(objects_bucket: ObjectsBucket):
    bucket = objects_bucket.bucket()
    only_a = AISIterDataset(bucket, prefix_map={bucket: "a/"})
    a_and_b = AISMapDataset(bucket, prefix_map={bucket: ["a/", "b/"]})
    assert {name for name, _ in only_a} == {n for n in objects_bucket.contents if n[:2] == "a/"}
    assert {obj.name for obj in a_and_b.get_obj_list()} == {
        n for n in objects_bucket.contents if n[:2] in ("a/", "b/")
    }


def test_overlapping_prefixes_do_not_read_an_object_twice(objects_bucket: ObjectsBucket):
    bucket = objects_bucket.bucket()
    dataset = AISMapDataset(bucket, prefix_map={bucket: ["a/", "a/obj-0"]})
    assert len(dataset) == sum(1 for n in objects_bucket.contents if n.startswith("a/"))


def test_map_dataset_index_out_of_range_says_how_many_objects(objects_bucket: ObjectsBucket):
    dataset = AISMapDataset(objects_bucket.bucket())
    with pytest.raises(IndexError, match="has 60 objects"):
        dataset[60]


def test_missing_bucket_raises_bucket_not_found(pt_endpoint: str):
    with pytest.raises(BucketNotFound, match="pt-test-absent"):
        AISIterDataset(Client(pt_endpoint).bucket("pt-test-absent-bucket"))


def test_object_deleted_mid_epoch_raises_naming_it(scratch_bucket):
    for i in range(3):
        scratch_bucket.put_object(f"o{i}", b"x")
    dataset = AISIterDataset(scratch_bucket)
    scratch_bucket.object("o1").delete()
    with pytest.raises(ObjectNotFound, match="o1"):
        list(dataset)


def test_unknown_etl_on_a_cluster_without_etl_raises_naming_it(objects_bucket: ObjectsBucket):
    dataset = AISIterDataset(objects_bucket.bucket(), etl_name="pt-no-such-etl")
    with pytest.raises(ETLNotAvailable, match="pt-no-such-etl"):
        next(iter(dataset))


def test_map_and_iter_datasets_match_the_official_ones(objects_bucket: ObjectsBucket):
    official = import_official_pytorch()
    from aistore.sdk import Client as OfficialClient

    theirs = OfficialClient(objects_bucket.endpoint).bucket(objects_bucket.name)
    ours = objects_bucket.bucket()
    official_map = official.AISMapDataset(theirs)
    assert as_multiset(AISMapDataset(ours)[i] for i in range(60)) == as_multiset(
        official_map[i] for i in range(len(official_map))
    )
    assert (
        as_multiset(AISIterDataset(ours))
        == as_multiset(official.AISIterDataset(theirs))
        == Counter(objects_bucket.contents.items())
    )
