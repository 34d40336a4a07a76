"""Bad input on the real cluster, per dataset: odd object names, zero-length objects, and
truncated or garbage tar shards give the right samples or an error naming the object.

(test_pytorch_shards.py already covers AISShardReader on a truncated and on a non-tar shard.)
"""

from __future__ import annotations

from typing import Any

import pytest

from aisref.client import Bucket, ShardFormatError
from aisref.pytorch import (
    AISFileLister,
    AISFileLoader,
    AISIterDataset,
    AISMapDataset,
    AISMultiShardStream,
    AISShardReader,
    AISSourceLister,
)
from tests.integration.pytorch_fixtures import make_shard, pt_endpoint, scratch_bucket

__all__ = ["pt_endpoint", "scratch_bucket"]  # fixtures used below

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
]

# Names a URL would mangle if the client did not quote them: space, %, ?, #, unicode.
ODD_NAMES = ("with space.bin", "100%.bin", "%41%42.bin", "what?.bin", "tag#1.bin",
             "ünïcødé-文件.bin", "all ?#% of them.bin")
EMPTY = "empty.bin"


def put_odd_objects(bucket: Bucket) -> dict[str, bytes]:
    contents = {name: f"content of {name}".encode() for name in ODD_NAMES}
    contents[EMPTY] = b""
    for name, data in contents.items():
        bucket.put_object(name, data)
    return contents


def data_shard(bucket: Bucket, prefix: str = "") -> Any:
    from aisref.client import DataShard

    return DataShard(bucket.client.endpoint, bucket.name, prefix=prefix)


# -- map and iterable datasets -----------------------------------------------------------------


def test_map_dataset_reads_odd_names_and_empty_objects(scratch_bucket: Bucket) -> None:
    contents = put_odd_objects(scratch_bucket)
    dataset = AISMapDataset(scratch_bucket)
    assert dict(dataset[i] for i in range(len(dataset))) == contents


def test_iter_dataset_reads_odd_names_and_empty_objects(scratch_bucket: Bucket) -> None:
    contents = put_odd_objects(scratch_bucket)
    assert dict(AISIterDataset(scratch_bucket)) == contents


# -- datapipes ---------------------------------------------------------------------------------


def test_datapipes_list_and_load_odd_names_and_empty_objects(scratch_bucket: Bucket) -> None:
    contents = put_odd_objects(scratch_bucket)
    endpoint = scratch_bucket.client.endpoint
    urls = list(AISFileLister([f"ais://{scratch_bucket.name}"], url=endpoint))
    assert sorted(urls) == sorted(f"ais://{scratch_bucket.name}/{name}" for name in contents)
    loaded = {url.split("/", 3)[3]: stream.read() for url, stream in
              AISFileLoader(urls, url=endpoint)}
    assert loaded == contents


def test_source_lister_urls_fetch_odd_names(scratch_bucket: Bucket) -> None:
    import requests

    contents = put_odd_objects(scratch_bucket)
    fetched = sorted(requests.get(url, timeout=10).content
                     for url in AISSourceLister([scratch_bucket]))
    assert fetched == sorted(contents.values())


# -- shard reader ------------------------------------------------------------------------------


def test_shard_reader_reads_odd_shard_and_member_names(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("shard ?#%ü.tar", make_shard([
        ("dir one/sample ü.jpg", b"J1"), ("dir one/sample ü.cls", b"7"),
        ("what?#%.jpg", b"J2"), ("what?#%.cls", b"8"),
    ]))
    samples = {key: dict(fields) for key, fields in AISShardReader(scratch_bucket)}
    assert samples == {"dir one/sample ü": {"jpg": b"J1", "cls": b"7"},
                       "what?#%": {"jpg": b"J2", "cls": b"8"}}


def test_shard_reader_gives_an_empty_member_as_empty_bytes(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("s.tar", make_shard([("a.jpg", b"J"), ("a.txt", b"")]))
    assert [(key, dict(fields)) for key, fields in AISShardReader(scratch_bucket)] == [
        ("a", {"jpg": b"J", "txt": b""})
    ]


def test_shard_reader_on_a_zero_length_shard_raises_naming_it(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("zero.tar", b"")
    with pytest.raises(ShardFormatError, match=r"zero\.tar"):
        list(AISShardReader(scratch_bucket))


# -- multishard stream -------------------------------------------------------------------------


def test_multishard_reads_odd_shard_names(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("odd ?#%ü.tar", make_shard([("x.bin", b"X"), ("y.bin", b"")]))
    assert list(AISMultiShardStream([data_shard(scratch_bucket)])) == [(b"X",), (b"",)]


def test_multishard_truncated_shard_raises_naming_it(scratch_bucket: Bucket) -> None:
    shard = make_shard([("a.jpg", b"a" * 3000), ("b.jpg", b"b" * 3000)])
    scratch_bucket.put_object("cut ?.tar", shard[:4000])
    with pytest.raises(ShardFormatError, match=r"cut \?\.tar"):
        list(AISMultiShardStream([data_shard(scratch_bucket)]))


def test_multishard_garbage_shard_raises_naming_it(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("junk#1.tar", b"\x00\xffnot a tar at all" * 200)
    with pytest.raises(ShardFormatError, match=r"junk#1\.tar"):
        list(AISMultiShardStream([data_shard(scratch_bucket)]))


def test_multishard_zero_length_shard_raises_naming_it(scratch_bucket: Bucket) -> None:
    scratch_bucket.put_object("zero.tar", b"")
    with pytest.raises(ShardFormatError, match=r"zero\.tar"):
        list(AISMultiShardStream([data_shard(scratch_bucket)]))
