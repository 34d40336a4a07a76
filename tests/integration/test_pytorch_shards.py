"""AISShardReader and AISMultiShardStream against the real cluster."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from torch.utils.data import DataLoader

from aisref.client import (
    BucketNotFound,
    Client,
    DataShard,
    ETLNotAvailable,
    ShardFormatError,
    UnexpectedSampleField,
)
from aisref.pytorch import AISMultiShardStream, AISShardReader, ZeroDict
from tests.integration.pytorch_fixtures import (
    EXTENSIONS,
    ShardsBucket,
    count_list_requests,
    import_official_pytorch,
    make_shard,
    pt_endpoint,
    sample_multiset,
    scratch_bucket,
    shards_bucket,
)

__all__ = ["pt_endpoint", "scratch_bucket", "shards_bucket"]  # fixtures used below

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
]


def read_samples(dataset: Any, num_workers: int) -> list[Any]:
    # Not list(loader): list() asks len() for a size hint, and the shard reader's len() lists
    # every shard's members.
    return [sample for sample in DataLoader(dataset, batch_size=None, num_workers=num_workers)]


def read_batches(dataset: Any, batch_size: int) -> list[Any]:
    return [batch for batch in DataLoader(dataset, batch_size=batch_size)]  # not list(): see above


@pytest.mark.parametrize("num_workers", [0, 2, 4])
def test_shard_reader_yields_every_sample_once(shards_bucket: ShardsBucket, num_workers):
    samples = read_samples(AISShardReader(shards_bucket.bucket()), num_workers)
    assert sample_multiset(samples) == shards_bucket.sample_multiset()


def test_every_shard_reader_sample_is_a_zero_dict_of_every_extension_in_the_dataset(
    shards_bucket: ShardsBucket,
):
    samples = list(AISShardReader(shards_bucket.bucket()))
    assert [(type(fields), sorted(fields)) for _, fields in samples] == [
        (ZeroDict, sorted(EXTENSIONS))
    ] * len(shards_bucket.samples)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shard_reader_splits_shards_across_two_ranks_exactly_once(
    shards_bucket: ShardsBucket, num_workers, monkeypatch
):
    read: Counter[Any] = Counter()
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        read += sample_multiset(read_samples(AISShardReader(shards_bucket.bucket()), num_workers))
    assert read == shards_bucket.sample_multiset()


def unbatch(batches: Iterable[Any]) -> list[tuple[str, dict[str, bytes]]]:
    """Default-collated ``[keys, {extension: [bytes]}]`` batches back into samples."""
    return [
        (key, {ext: values[i] for ext, values in fields.items()})
        for keys, fields in batches
        for i, key in enumerate(keys)
    ]


def test_shard_reader_batches_with_default_collate_keep_every_field(shards_bucket: ShardsBucket):
    # Sample s00-00 has only a jpg and starts worker 0's first batch; cls and txt must not be
    # dropped from that batch.
    loader = DataLoader(AISShardReader(shards_bucket.bucket()), batch_size=4, num_workers=2)
    assert sample_multiset(unbatch(loader)) == shards_bucket.sample_multiset()


def test_a_shard_whose_first_sample_lacks_a_field_batches_it_like_the_official(scratch_bucket):
    shard = [("a.jpg", b"A"), ("b.jpg", b"B"), ("b.cls", b"1"), ("c.jpg", b"C"), ("c.cls", b"2")]
    scratch_bucket.put_object("s.tar", make_shard(shard))
    official = import_official_pytorch()
    from aistore.sdk import Client as OfficialClient

    theirs = official.AISShardReader(
        OfficialClient(scratch_bucket.client.endpoint).bucket(scratch_bucket.name)
    )
    expected = [("a", "b", "c"), {"jpg": [b"A", b"B", b"C"], "cls": [b"", b"1", b"2"]}]
    assert read_batches(AISShardReader(scratch_bucket), 3) == [expected]
    assert read_batches(theirs, 3) == [expected]


def test_a_batch_spanning_shards_keeps_a_field_first_seen_in_the_later_shard(scratch_bucket):
    scratch_bucket.put_object("p-0.tar", make_shard([("a.jpg", b"A")]))
    scratch_bucket.put_object("p-1.tar", make_shard([("b.jpg", b"B"), ("b.cls", b"1")]))
    official = import_official_pytorch()
    from aistore.sdk import Client as OfficialClient

    theirs = official.AISShardReader(
        OfficialClient(scratch_bucket.client.endpoint).bucket(scratch_bucket.name)
    )
    assert read_batches(AISShardReader(scratch_bucket), 2) == [
        [("a", "b"), {"jpg": [b"A", b"B"], "cls": [b"", b"1"]}]
    ]
    # The official pre-scans one shard at a time: its batch loses cls (issue #13, item 2).
    assert read_batches(theirs, 2) == [[("a", "b"), {"jpg": [b"A", b"B"]}]]


def test_a_field_aistore_cannot_list_raises_instead_of_being_dropped(scratch_bucket):
    # Without an archive extension AIStore lists no members, so the reader learns fields as
    # it goes: cls appears after sample a was yielded without it.
    scratch_bucket.put_object("p-0", make_shard([("a.jpg", b"A")]))
    scratch_bucket.put_object("p-1", make_shard([("b.jpg", b"B"), ("b.cls", b"1")]))
    assert scratch_bucket.list_archive("p-1") == []
    with pytest.raises(UnexpectedSampleField, match=r"/p-1, sample 'b'.*\['cls'\]"):
        list(AISShardReader(scratch_bucket))


def test_refresh_lists_the_fields_of_a_shard_changed_since_construction(scratch_bucket):
    scratch_bucket.put_object("p-0.tar", make_shard([("a.jpg", b"A")]))
    scratch_bucket.put_object("p-1.tar", make_shard([("b.jpg", b"B")]))
    reader = AISShardReader(scratch_bucket)
    scratch_bucket.put_object("p-1.tar", make_shard([("b.jpg", b"B"), ("b.cls", b"1")]))
    with pytest.raises(UnexpectedSampleField, match=r"refresh\(\)"):
        list(reader)
    reader.refresh()
    assert [(key, dict(fields)) for key, fields in reader] == [
        ("a", {"jpg": b"A", "cls": b""}),
        ("b", {"jpg": b"B", "cls": b"1"}),
    ]


def test_shard_bucket_is_listed_once_not_once_per_worker(shards_bucket: ShardsBucket, monkeypatch):
    list_requests = count_list_requests(monkeypatch)
    samples = read_samples(AISShardReader(shards_bucket.bucket()), num_workers=4)
    assert len(samples) == len(shards_bucket.samples)
    # At construction: one page of shards, one page of their members' names (the fields).
    assert list_requests.value == 2


def test_over_two_ranks_the_shards_are_counted_from_the_same_member_listing(
    shards_bucket: ShardsBucket, monkeypatch
):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    list_requests = count_list_requests(monkeypatch)
    reader = AISShardReader(shards_bucket.bucket())
    total = len(shards_bucket.samples)
    assert len(reader) == -(-total // 2)  # rank 0's share, padded to equal counts
    # The shards' page and their members' page: no archive listing per shard to count them.
    assert list_requests.value == 2


def test_shard_reader_on_a_missing_bucket_raises_bucket_not_found(pt_endpoint: str):
    with pytest.raises(BucketNotFound, match="pt-test-absent"):
        AISShardReader(Client(pt_endpoint).bucket("pt-test-absent-shards"))


def test_shard_reader_with_unknown_etl_raises_naming_it(shards_bucket: ShardsBucket):
    reader = AISShardReader(shards_bucket.bucket(), etl_name="pt-no-such-etl")
    with pytest.raises(ETLNotAvailable, match="pt-no-such-etl"):
        next(iter(reader))


def test_multishard_stream_with_unknown_etl_raises_naming_it(shards_bucket: ShardsBucket):
    stream = AISMultiShardStream(
        [DataShard(shards_bucket.endpoint, shards_bucket.name, etl_name="pt-no-such-etl")]
    )
    with pytest.raises(ETLNotAvailable, match="pt-no-such-etl"):
        next(iter(stream))


def test_shard_reader_length_counts_samples_without_reading_shards(shards_bucket: ShardsBucket):
    assert len(AISShardReader(shards_bucket.bucket())) == len(shards_bucket.samples)


def test_shard_reader_matches_the_official_reader(shards_bucket: ShardsBucket):
    official = import_official_pytorch()
    from aistore.sdk import Client as OfficialClient

    theirs = official.AISShardReader(
        OfficialClient(shards_bucket.endpoint).bucket(shards_bucket.name)
    )
    ours = AISShardReader(shards_bucket.bucket())
    assert sample_multiset(ours) == sample_multiset(theirs) == shards_bucket.sample_multiset()


def test_shard_reader_matches_webdataset_over_http(shards_bucket: ShardsBucket):
    wds = pytest.importorskip("webdataset")
    urls = [
        f"{shards_bucket.endpoint}/v1/objects/{shards_bucket.name}/{shard}?provider=ais"
        for shard in sorted(shards_bucket.shards)
    ]
    theirs = [
        (s["__key__"], {k: v for k, v in s.items() if not k.startswith("__")})
        for s in wds.WebDataset(urls, shardshuffle=False, empty_check=False)
    ]
    ours = list(AISShardReader(shards_bucket.bucket()))
    # webdataset yields what the shards hold (an empty member as b"", a missing one absent);
    # ours fills every missing extension with b"".
    assert sample_multiset(theirs) == shards_bucket.sample_multiset(fill=())
    assert sample_multiset(ours) == shards_bucket.sample_multiset()


def test_truncated_shard_raises_naming_the_shard(scratch_bucket):
    shard = make_shard([("a.jpg", b"a" * 3000), ("b.jpg", b"b" * 3000)])
    scratch_bucket.put_object("cut.tar", shard[:4000])
    with pytest.raises(ShardFormatError, match=r"ais://pt-test-scratch-\w+/cut\.tar"):
        list(AISShardReader(scratch_bucket))


def test_non_tar_object_raises_naming_the_shard(scratch_bucket):
    scratch_bucket.put_object("notes.tar", b"plain text, not a tar archive\n" * 50)
    with pytest.raises(ShardFormatError, match=r"notes\.tar"):
        list(AISShardReader(scratch_bucket))


def two_distinct_streams(shards: ShardsBucket) -> tuple[list[DataShard], list[tuple[bytes, ...]]]:
    """Streams over shard-00 (10 members) and shard-01 (11): different bytes at every position,
    so a member paired with the wrong one, or out of order, changes the tuples."""
    streams = [DataShard(shards.endpoint, shards.name, prefix=p) for p in ("shard-00", "shard-01")]
    first, second = shards.member_streams("shard-00"), shards.member_streams("shard-01")
    assert not set(first) & set(second)
    return streams, list(zip(first, second, strict=False))


def test_multishard_stream_pairs_the_ith_members_of_each_stream_in_order(
    shards_bucket: ShardsBucket,
):
    streams, expected = two_distinct_streams(shards_bucket)
    tuples = read_samples(AISMultiShardStream(streams), num_workers=0)
    assert [tuple(t) for t in tuples] == expected


def test_multishard_stream_over_two_workers_yields_each_pair_once(shards_bucket: ShardsBucket):
    streams, expected = two_distinct_streams(shards_bucket)
    tuples = read_samples(AISMultiShardStream(streams), num_workers=2)
    assert Counter(tuple(t) for t in tuples) == Counter(expected)


@pytest.mark.parametrize("num_workers", [0, 2, 4])
def test_multishard_single_stream_yields_every_member_once(
    shards_bucket: ShardsBucket, num_workers
):
    stream = AISMultiShardStream([DataShard(shards_bucket.endpoint, shards_bucket.name)])
    tuples = read_samples(stream, num_workers)
    assert Counter(tuple(t) for t in tuples) == Counter(
        (m,) for m in shards_bucket.member_streams()
    )


def test_multishard_stream_ends_with_the_shortest_stream(shards_bucket: ShardsBucket):
    streams = [
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-01"),  # 1 shard
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-0"),  # all 6
    ]
    shortest, longest = shards_bucket.member_streams("shard-01"), shards_bucket.member_streams()
    assert len(shortest) < len(longest)
    assert list(AISMultiShardStream(streams)) == list(zip(shortest, longest, strict=False))
