"""ZeroDict: picklable sample contents that default collation batches across shards."""

import pickle

from torch.utils.data import default_collate

from aisref.pytorch import AISShardReader, ZeroDict


def test_keys_the_sample_lacks_default_to_zero_bytes():
    assert ZeroDict({"jpg": b"1"}, keys={"jpg", "cls"}) == {"jpg": b"1", "cls": b""}


def test_own_content_is_never_overwritten_by_the_default():
    assert ZeroDict({"cls": b"7"}, keys=["cls"])["cls"] == b"7"


def test_round_trips_through_pickle_as_a_zero_dict():
    sample = ZeroDict({"jpg": b"1"}, keys=["cls"])
    restored = pickle.loads(pickle.dumps(sample))
    assert type(restored) is ZeroDict
    assert restored == sample


def test_default_collate_keeps_every_field_of_samples_that_carry_the_dataset_keys():
    # The first sample lacks "txt": collation takes the first sample's keys, so "txt" survives
    # only because every ZeroDict carries all of the dataset's keys.
    keys = {"jpg", "cls", "txt"}
    contents = ({"jpg": b"a", "cls": b"1"}, {"jpg": b"b"}, {"cls": b"3", "txt": b"t"})
    collated = default_collate([ZeroDict(content, keys) for content in contents])
    assert collated == {
        "jpg": [b"a", b"b", b""],
        "cls": [b"1", b"", b"3"],
        "txt": [b"", b"", b"t"],
    }


def test_is_reachable_where_the_official_reader_keeps_it():
    assert AISShardReader.ZeroDict is ZeroDict
