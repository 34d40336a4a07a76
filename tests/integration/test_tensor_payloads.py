"""``tensor_payloads=True`` on the real cluster: tensors cross DataLoader workers through
shared memory and equal the objects' bytes (issue #12 item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from aisref.client import Bucket
from aisref.pytorch import AISIterDataset, AISMapDataset, AISShardReader
from tests.integration.pytorch_fixtures import (
    EXTENSIONS,
    ObjectsBucket,
    ShardsBucket,
    objects_bucket,
    pt_endpoint,
    scratch_bucket,
    shards_bucket,
)

__all__ = ["objects_bucket", "pt_endpoint", "scratch_bucket", "shards_bucket"]  # fixtures

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
]


def keep_as_list(batch: list[Any]) -> list[Any]:
    return batch


def as_bytes(samples: list[tuple[str, torch.Tensor]]) -> dict[str, bytes]:
    for _, payload in samples:
        assert isinstance(payload, torch.Tensor)
        assert payload.dtype == torch.uint8 and payload.dim() == 1
    return {name: payload.numpy().tobytes() for name, payload in samples}


def test_iter_dataset_tensors_arrive_from_two_workers_equal_to_the_objects(
    objects_bucket: ObjectsBucket,
) -> None:
    dataset = AISIterDataset(objects_bucket.bucket(), tensor_payloads=True)
    samples = list(DataLoader(dataset, batch_size=None, num_workers=2))
    assert len(samples) == len(objects_bucket.contents)
    assert as_bytes(samples) == objects_bucket.contents
    assert all(payload.is_shared() for _, payload in samples)  # came through shared memory


def test_map_dataset_tensors_by_get_batch_from_two_workers_equal_to_the_objects(
    objects_bucket: ObjectsBucket,
) -> None:
    dataset = AISMapDataset(objects_bucket.bucket(), tensor_payloads=True)
    loader = DataLoader(dataset, batch_size=4, num_workers=2, collate_fn=keep_as_list)
    samples = [sample for batch in loader for sample in batch]
    assert len(samples) == len(objects_bucket.contents)
    assert as_bytes(samples) == objects_bucket.contents


def test_map_dataset_tensors_one_by_one_from_two_workers_equal_to_the_objects(
    objects_bucket: ObjectsBucket,
) -> None:
    dataset = AISMapDataset(objects_bucket.bucket(), tensor_payloads=True)
    samples = list(DataLoader(dataset, batch_size=None, num_workers=2))
    assert as_bytes(samples) == objects_bucket.contents


@pytest.fixture
def equal_sized(scratch_bucket: Bucket) -> Iterator[dict[str, bytes]]:
    contents = {f"e{i}": bytes([i]) * 1000 for i in range(6)}
    for name, data in contents.items():
        scratch_bucket.object(name).put_content(data)
    yield contents


def test_equal_sized_tensors_stack_into_batches(
    scratch_bucket: Bucket, equal_sized: dict[str, bytes]
) -> None:
    dataset = AISIterDataset(scratch_bucket, tensor_payloads=True)
    batches = list(DataLoader(dataset, batch_size=3, num_workers=2))
    assert [payloads.shape for _, payloads in batches] == [(3, 1000), (3, 1000)]
    rows = {
        name: row.numpy().tobytes()
        for names, payloads in batches
        for name, row in zip(names, payloads, strict=True)
    }
    assert rows == equal_sized


def test_default_collation_of_unequal_sized_tensors_fails(
    objects_bucket: ObjectsBucket,
) -> None:
    # Why tensor_payloads is off by default: objects of different sizes batch as bytes only.
    dataset = AISIterDataset(objects_bucket.bucket(), tensor_payloads=True)
    with pytest.raises(RuntimeError, match="equal size"):
        list(DataLoader(dataset, batch_size=4, num_workers=0))
    assert len(list(DataLoader(AISIterDataset(objects_bucket.bucket()), batch_size=4))) == 15


def test_shard_reader_fields_arrive_from_two_workers_as_tensors_equal_to_the_members(
    shards_bucket: ShardsBucket,
) -> None:
    dataset = AISShardReader(shards_bucket.bucket(), tensor_payloads=True)
    samples = list(DataLoader(dataset, batch_size=None, num_workers=2))
    assert len(samples) == len(shards_bucket.samples)
    got: dict[str, dict[str, bytes]] = {}
    for key, fields in samples:
        assert set(fields) == set(EXTENSIONS)  # every field, as the bytes samples have
        assert all(value.dtype == torch.uint8 for value in fields.values())
        got[key] = {ext: value.numpy().tobytes() for ext, value in fields.items()}
    want = {
        key: {ext: members.get(ext, b"") for ext in EXTENSIONS}  # missing: empty
        for (_, key), members in shards_bucket.samples.items()
    }
    assert got == want
