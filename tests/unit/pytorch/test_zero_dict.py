"""ZeroDict: picklable sample contents that default collation batches across shards."""

import pickle

from torch.utils.data import default_collate

from aisref.pytorch import AISShardReader, ZeroDict


def test_extensions_seen_so_far_default_to_zero_bytes():
    assert ZeroDict({"jpg": b"1"}, keys={"jpg", "cls"}) == {"jpg": b"1", "cls": b""}


def test_own_content_is_never_overwritten_by_the_default():
    assert ZeroDict({"cls": b"7"}, keys=["cls"])["cls"] == b"7"


def test_round_trips_through_pickle_as_a_zero_dict():
    sample = ZeroDict({"jpg": b"1"}, keys=["cls"])
    restored = pickle.loads(pickle.dumps(sample))
    assert type(restored) is ZeroDict
    assert restored == sample


def test_default_collate_batches_samples_from_heterogeneous_shards():
    seen: set[str] = set()
    batch = []
    for content in ({"jpg": b"a", "cls": b"1"}, {"jpg": b"b"}, {"cls": b"3", "txt": b"t"}):
        seen.update(content)
        batch.append(ZeroDict(content, seen))
    collated = default_collate(batch)
    assert collated["jpg"] == [b"a", b"b", b""]
    assert collated["cls"] == [b"1", b"", b"3"]


def test_is_reachable_where_the_official_reader_keeps_it():
    assert AISShardReader.ZeroDict is ZeroDict
