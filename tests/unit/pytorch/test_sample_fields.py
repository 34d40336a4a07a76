"""Sample fields: listed before the first sample, so default collation never drops one."""

import pytest
from torch.utils.data import default_collate

from aisref.client import (
    ENTRY_IS_ARCH_MEMBER,
    ENTRY_IS_ARCHIVE,
    UnexpectedSampleField,
)
from aisref.pytorch.sample_fields import SampleFields, member_extension
from aisref.pytorch.zero_dict import ZeroDict

SHARD = "ais://b/s.tar"
ARCHIVE = ENTRY_IS_ARCHIVE | 64  # flags as aisnode sets them (64: present)
MEMBER = ENTRY_IS_ARCH_MEMBER | 64


@pytest.mark.parametrize(
    ("member", "extension"),
    [("a.jpg", "jpg"), ("d/a.seg.png", "seg.png"), ("README", None), ("__meta__/i.json", None)],
)
def test_a_member_adds_the_extension_its_sample_key_leaves(member, extension):
    assert member_extension(member) == extension


def test_missing_fields_are_zero_bytes_and_present_ones_keep_their_bytes():
    fields = SampleFields({"jpg", "cls"})
    assert fields.complete({"jpg": b"A"}, SHARD, "a") == {"jpg": b"A", "cls": b""}
    assert fields.complete({"jpg": b"B", "cls": b"1"}, SHARD, "b") == {"jpg": b"B", "cls": b"1"}


def test_a_batch_of_a_shard_whose_first_sample_lacks_a_field_keeps_that_field():
    # The shard [a.jpg, b.jpg, b.cls, c.jpg, c.cls] in one batch of 3.
    fields = SampleFields({"jpg", "cls"})
    contents = [
        ("a", {"jpg": b"A"}),
        ("b", {"jpg": b"B", "cls": b"1"}),
        ("c", {"jpg": b"C", "cls": b"2"}),
    ]
    batch = default_collate([fields.complete(content, SHARD, key) for key, content in contents])
    assert batch == {"jpg": [b"A", b"B", b"C"], "cls": [b"", b"1", b"2"]}


def test_a_field_the_listing_missed_is_learned_from_a_readers_first_sample():
    fields = SampleFields({"jpg"})
    assert fields.complete({"npy": b"N"}, SHARD, "a") == {"npy": b"N", "jpg": b""}
    assert fields.complete({"jpg": b"J"}, SHARD, "b") == {"jpg": b"J", "npy": b""}


def test_a_field_the_listing_missed_raises_once_samples_without_it_were_yielded():
    fields = SampleFields({"jpg"})
    fields.complete({"jpg": b"A"}, SHARD, "a")
    with pytest.raises(UnexpectedSampleField, match=r"ais://b/s\.tar, sample 'b'.*\['cls'\]"):
        fields.complete({"jpg": b"B", "cls": b"1"}, SHARD, "b")


def test_completed_samples_are_zero_dicts():
    assert type(SampleFields({"jpg"}).complete({}, SHARD, "a")) is ZeroDict
