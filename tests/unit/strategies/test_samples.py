"""Per-sample counting and transforms, done inside DataLoader workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch

from aisbench.strategies.samples import (
    TRANSFORMS,
    CountedIterDataset,
    CountedMapDataset,
    Transform,
    apply_transform,
    collate_counted,
    make_dataloader,
    payload_bytes,
)
from tests.case_values import make_case


def transform(name: str) -> Transform:
    chosen = TRANSFORMS[name]
    assert chosen is not None
    return chosen


def test_payload_bytes_of_bytes_is_its_length() -> None:
    assert payload_bytes(b"abcd") == 4


def test_payload_bytes_counts_bytearray_and_memoryview() -> None:
    assert payload_bytes((bytearray(3), memoryview(b"12345"))) == 8


def test_payload_bytes_counts_tensor_payloads() -> None:
    sample = ("obj-1", torch.zeros(1000, dtype=torch.uint8))
    assert payload_bytes(sample) == 1000
    assert payload_bytes({"jpg": torch.zeros(7, dtype=torch.uint8), "cls": b"1"}) == 8


def test_payload_bytes_leaves_out_names() -> None:
    assert payload_bytes(("obj-0000001.bin", b"x" * 10)) == 10


def test_payload_bytes_adds_up_nested_tuples_lists_and_dicts() -> None:
    sample = ("name", {"jpg": b"x" * 100, "cls": b"7", "extra": [b"ab", (b"c",)]})
    assert payload_bytes(sample) == 100 + 1 + 2 + 1


def test_payload_bytes_leaves_out_dunder_metadata_keys() -> None:
    sample = {"__key__": b"sample-1", "__url__": "http://x", "jpg": b"x" * 5}
    assert payload_bytes(sample) == 5


def test_payload_bytes_of_non_bytes_is_zero() -> None:
    assert payload_bytes((1, 2.0, None, np.zeros(4))) == 0


def test_none_transform_is_no_function() -> None:
    assert TRANSFORMS["none"] is None


def test_decode_gives_one_float_per_byte_between_0_and_1() -> None:
    out = transform("decode")(bytes([0, 255, 51]))
    assert out.dtype == np.float32
    assert out.tolist() == [0.0, 1.0, np.float32(51 / 255)]


def test_hash_gives_a_32_byte_sha256_digest() -> None:
    out = transform("hash")(b"data")
    assert isinstance(out, bytes) and len(out) == 32


def test_resize_halves_each_side_of_the_largest_even_square() -> None:
    out = transform("resize")(bytes(1100))  # largest even square: 32 x 32 = 1024 bytes
    assert out.shape == (16, 16)
    assert out.dtype == np.float32


def test_resize_averages_2x2_blocks() -> None:
    out = transform("resize")(bytes([0, 4, 8, 12]))
    assert out.tolist() == [[6.0]]


def test_resize_of_fewer_than_4_bytes_gives_them_as_floats() -> None:
    out = transform("resize")(bytes([1, 2]))
    assert out.dtype == np.float32 and out.tolist() == [1.0, 2.0]


def test_apply_transform_changes_every_bytes_leaf() -> None:
    out = apply_transform(("name", [b"ab", {"jpg": b"abc"}]), len)
    assert out == ("name", [2, {"jpg": 3}])


def test_apply_transform_leaves_metadata_keys_as_they_are() -> None:
    out = apply_transform({"__key__": b"sample-1", "jpg": b"abc"}, len)
    assert out == {"__key__": b"sample-1", "jpg": 3}


def test_apply_transform_keeps_the_container_types() -> None:
    out = apply_transform((b"a", [b"b"]), len)
    assert type(out) is tuple and type(out[1]) is list


def test_collate_counted_counts_samples_and_bytes() -> None:
    samples, nbytes, _ = collate_counted([(10, b"x" * 10), (20, b"y" * 20), (5, b"z" * 5)])
    assert (samples, nbytes) == (3, 35)


def test_collate_counted_stacks_same_shape_arrays_into_a_tensor() -> None:
    _, _, payload = collate_counted([(4, np.zeros(4)), (4, np.ones(4))])
    assert isinstance(payload, torch.Tensor) and tuple(payload.shape) == (2, 4)


def test_collate_counted_falls_back_to_a_list_for_ragged_arrays() -> None:
    ragged = [np.zeros(3, dtype=np.float32), np.zeros(4, dtype=np.float32)]
    _, _, payload = collate_counted([(3, ragged[0]), (4, ragged[1])])
    assert isinstance(payload, list) and [len(p) for p in payload] == [3, 4]


def test_collate_counted_falls_back_to_a_list_for_samples_with_different_members() -> None:
    samples = [{"jpg": b"1", "cls": b"2"}, {"jpg": b"3"}]
    count, nbytes, payload = collate_counted([(2, samples[0]), (1, samples[1])])
    assert (count, nbytes, payload) == (2, 3, samples)


def test_collate_counted_transposes_name_and_bytes_pairs_as_torch_does() -> None:
    _, _, payload = collate_counted([(1, ("a", b"1")), (1, ("b", b"2"))])
    assert payload == [("a", "b"), (b"1", b"2")]


class BatchedInner:
    """A map dataset with its own batched fetch, which records how it was called."""

    def __init__(self) -> None:
        self.batched_calls: list[list[int]] = []

    def __len__(self) -> int:
        return 10

    def __getitem__(self, index: int) -> bytes:
        raise AssertionError("single-item fetch used although __getitems__ exists")

    def __getitems__(self, indices: Sequence[int]) -> list[bytes]:
        self.batched_calls.append(list(indices))
        return [bytes(i) for i in indices]


class PlainInner:
    def __len__(self) -> int:
        return 10

    def __getitem__(self, index: int) -> bytes:
        return bytes(index)


def test_counted_map_dataset_forwards_getitems_to_the_inner_dataset() -> None:
    inner = BatchedInner()
    out = CountedMapDataset(inner, None).__getitems__([2, 3])
    assert inner.batched_calls == [[2, 3]]
    assert out == [(2, bytes(2)), (3, bytes(3))]


def test_counted_map_dataset_fetches_one_by_one_without_inner_getitems() -> None:
    assert CountedMapDataset(PlainInner(), None).__getitems__([1, 4]) == \
        [(1, bytes(1)), (4, bytes(4))]


def test_counted_map_dataset_counts_bytes_before_the_transform() -> None:
    assert CountedMapDataset(PlainInner(), len)[7] == (7, 7)


def test_counted_iter_dataset_counts_and_transforms_every_sample() -> None:
    assert list(CountedIterDataset([b"ab", b"cde"], len)) == [(2, 2), (3, 3)]


def test_dataloader_over_a_batched_map_dataset_uses_its_batched_fetch() -> None:
    inner = BatchedInner()
    batches: list[Any] = list(make_dataloader(inner, make_case(batch_size=4), iterable=False))
    assert inner.batched_calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [(n, b) for n, b, _ in batches] == [(4, 6), (4, 22), (2, 17)]


def test_dataloader_over_an_iterable_dataset_yields_counted_batches() -> None:
    loader = make_dataloader([b"a" * 10] * 5, make_case(batch_size=2, transform="decode"),
                             iterable=True)
    assert [(n, b) for n, b, _ in loader] == [(2, 20), (2, 20), (1, 10)]


def test_multishard_members_are_regrouped_into_samples() -> None:
    from aisbench.strategies.aisref_loaders import MembersToSamples

    stream = [(b"a.jpg",), (b"a.cls",), (b"b.jpg",), (b"b.cls",)]
    assert list(MembersToSamples(stream, 2)) == [(b"a.jpg", b"a.cls"), (b"b.jpg", b"b.cls")]


def test_a_stream_ending_inside_a_sample_is_an_error() -> None:
    from aisbench.strategies.aisref_loaders import MembersToSamples

    with pytest.raises(ValueError, match="ended inside a sample: 1 of 2"):
        list(MembersToSamples([(b"a.jpg",), (b"a.cls",), (b"b.jpg",)], 2))
