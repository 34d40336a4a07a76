"""``tensor_payloads``: object bytes as 1-D ``torch.uint8`` tensors (issue #12 item 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch.utils.data import default_collate

from aisref.pytorch.tensor_payloads import empty_payload, read_tensor, tensor_of, tensors_of
from tests.unit.client.fake_ais import FakeAIS, running_fake
from tests.unit.client.test_resume import PAYLOAD, RangeServer, bucket_at, ranges_sent, serve


@pytest.fixture
def fake_ais() -> Iterator[FakeAIS]:
    with running_fake() as fake:
        yield fake


def test_a_read_tensor_is_uint8_one_dimensional_and_equals_the_bytes(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD))
    tensor = read_tensor(bucket_at(fake_ais.url).object("o").get_reader())
    assert tensor.dtype == torch.uint8
    assert tensor.shape == (len(PAYLOAD),)
    assert tensor.numpy().tobytes() == PAYLOAD


def test_a_cut_body_resumed_into_the_tensor_equals_the_bytes(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000, 2: 7}))
    tensor = read_tensor(bucket_at(fake_ais.url).object("o").get_reader())
    assert tensor.numpy().tobytes() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, "bytes=5000-20079", "bytes=5007-20079"]


def test_tensor_of_copies_the_bytes_into_a_writable_tensor() -> None:
    tensor = tensor_of(b"\x00\x01\xff")
    assert tensor.dtype == torch.uint8
    assert tensor.tolist() == [0, 1, 255]
    tensor[0] = 7  # writable: its own memory, not the immutable bytes'
    assert tensor.tolist() == [7, 1, 255]


def test_every_field_becomes_a_tensor_and_a_missing_one_an_empty_tensor() -> None:
    fields = tensors_of({"jpg": b"abc", "cls": b""})
    assert {key: value.tolist() for key, value in fields.items()} == {
        "jpg": [97, 98, 99],
        "cls": [],
    }


def test_the_view_is_the_tensors_own_memory() -> None:
    tensor, view = empty_payload(1000)
    view[:3] = b"abc"
    assert tensor.shape == (1000,)
    assert tensor[:3].tolist() == [97, 98, 99]


def test_equal_sized_tensors_stack_under_default_collate() -> None:
    batch = [("a", tensor_of(b"\x01\x02")), ("b", tensor_of(b"\x03\x04"))]
    names, payloads = default_collate(batch)
    assert list(names) == ["a", "b"]
    assert payloads.tolist() == [[1, 2], [3, 4]]


def test_unequal_sized_tensors_do_not_collate_by_default() -> None:
    # Why tensor_payloads is not on by default: bytes of varied sizes collate into a list.
    batch = [("a", tensor_of(b"\x01\x02")), ("b", tensor_of(b"\x03"))]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate(batch)
    _, payloads = default_collate([("a", b"\x01\x02"), ("b", b"\x03")])
    assert list(payloads) == [b"\x01\x02", b"\x03"]
