"""AISShardReader and AISMultiShardStream against the real cluster."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from typing import Any

import pytest
from torch.utils.data import DataLoader

from aisref.client import BucketNotFound, Client, DataShard, ETLNotAvailable, ShardFormatError
from aisref.pytorch import AISMultiShardStream, AISShardReader, ZeroDict
from tests.integration.pytorch_fixtures import (
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


@pytest.mark.parametrize("num_workers", [0, 2, 4])
def test_shard_reader_yields_every_sample_once(shards_bucket: ShardsBucket, num_workers):
    samples = read_samples(AISShardReader(shards_bucket.bucket()), num_workers)
    assert sample_multiset(samples) == shards_bucket.sample_multiset()


def test_shard_reader_samples_are_zero_dicts_filled_with_seen_extensions(
    shards_bucket: ShardsBucket,
):
    samples = list(AISShardReader(shards_bucket.bucket()))
    assert all(isinstance(fields, ZeroDict) for _, fields in samples)
    assert set(samples[-1][1]) == {"jpg", "cls", "txt"}


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


def test_shard_reader_batches_with_default_collate(shards_bucket: ShardsBucket):
    loader = DataLoader(AISShardReader(shards_bucket.bucket()), batch_size=4, num_workers=2)
    keys = [key for batch_keys, _ in loader for key in batch_keys]
    assert sorted(keys) == sorted(key for _, key in shards_bucket.samples)


def test_shard_bucket_is_listed_once_not_once_per_worker(shards_bucket: ShardsBucket, monkeypatch):
    list_requests = count_list_requests(monkeypatch)
    samples = read_samples(AISShardReader(shards_bucket.bucket()), num_workers=4)
    assert len(samples) == len(shards_bucket.samples)
    assert list_requests.value == 1


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
    assert len(theirs) == len(shards_bucket.samples)
    assert sample_multiset(ours) == sample_multiset(theirs)


def test_truncated_shard_raises_naming_the_shard(scratch_bucket):
    shard = make_shard([("a.jpg", b"a" * 3000), ("b.jpg", b"b" * 3000)])
    scratch_bucket.put_object("cut.tar", shard[:4000])
    with pytest.raises(ShardFormatError, match=r"ais://pt-test-scratch-\w+/cut\.tar"):
        list(AISShardReader(scratch_bucket))


def test_non_tar_object_raises_naming_the_shard(scratch_bucket):
    scratch_bucket.put_object("notes.tar", b"plain text, not a tar archive\n" * 50)
    with pytest.raises(ShardFormatError, match=r"notes\.tar"):
        list(AISShardReader(scratch_bucket))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_multishard_stream_zips_members_of_each_stream(shards_bucket: ShardsBucket, num_workers):
    streams = [
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-0"),
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-0"),
    ]
    members = shards_bucket.member_streams()
    tuples = read_samples(AISMultiShardStream(streams), num_workers)
    assert Counter(tuple(t) for t in tuples) == Counter((m, m) for m in members)


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
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-00"),
        DataShard(shards_bucket.endpoint, shards_bucket.name, prefix="shard-0"),
    ]
    with tarfile.open(fileobj=io.BytesIO(shards_bucket.shards["shard-00.tar"])) as tar:
        n_members = len(tar.getmembers())
    assert len(list(AISMultiShardStream(streams))) == n_members
