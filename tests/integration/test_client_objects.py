"""Object reads, writes and metadata against the real cluster."""

from __future__ import annotations

import random
import tarfile

import pytest

from aisref.client import (
    AISError,
    ArchiveConfig,
    Bucket,
    BucketNotFound,
    Client,
    ETLConfig,
    ETLNotAvailable,
    ObjectNotFound,
)
from tests.integration.client_fixtures import (
    ODD_NAMES,
    SHARD_MEMBERS,
    PopulatedBucket,
    client,
    make_tar,
    populated_bucket,
    scratch_bucket,
)

__all__ = ["client", "populated_bucket", "scratch_bucket"]  # fixtures used below

pytestmark = pytest.mark.integration

BIG = random.Random(5).randbytes(3 * (1 << 20) + 12345)  # larger than one 1 MiB chunk


@pytest.fixture
def big_object(scratch_bucket: Bucket) -> Bucket:
    scratch_bucket.put_object("big.bin", BIG)
    return scratch_bucket


@pytest.fixture
def shard_bucket(scratch_bucket: Bucket) -> Bucket:
    scratch_bucket.put_object("shard.tar", make_tar(SHARD_MEMBERS))
    return scratch_bucket


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_round_trip(populated_bucket: PopulatedBucket, name: str) -> None:
    data = populated_bucket.bucket.object(name).get_reader().read_all()
    assert data == populated_bucket.contents[name]


def test_odd_names_are_listed_verbatim(populated_bucket: PopulatedBucket) -> None:
    listed = {e.name for e in populated_bucket.bucket.list_objects_iter()}
    assert set(ODD_NAMES) <= listed


def test_read_all_is_byte_exact(big_object: Bucket) -> None:
    assert big_object.object("big.bin").get_reader().read_all() == BIG


def test_iteration_is_byte_exact(big_object: Bucket) -> None:
    chunks = list(big_object.object("big.bin").get_reader(chunk_size=256 * 1024))
    assert b"".join(chunks) == BIG
    assert len(chunks) > 1


def test_raw_stream_is_byte_exact(big_object: Bucket) -> None:
    with big_object.object("big.bin").get_reader().raw() as stream:
        assert stream.read() == BIG


def test_byte_range_is_byte_exact(big_object: Bucket) -> None:
    obj = big_object.object("big.bin")
    assert obj.get_reader(byte_range=(1000, 1_500_000)).read_all() == BIG[1000:1_500_001]
    assert obj.get_reader(byte_range=(len(BIG) - 10, None)).read_all() == BIG[-10:]


def test_range_past_the_end_is_an_error(big_object: Bucket) -> None:
    with pytest.raises(AISError) as info:
        big_object.object("big.bin").get_reader(byte_range=(len(BIG) + 1, None)).read_all()
    assert info.value.status == 416


def test_head_reports_size_checksum_version(big_object: Bucket) -> None:
    props = big_object.object("big.bin").head()
    assert props.size == len(BIG)
    assert props.checksum_type == "xxhash"
    assert props.checksum_value
    assert props.version == "1"
    assert props.present is True


def test_put_from_chunks_stores_their_concatenation(scratch_bucket: Bucket) -> None:
    obj = scratch_bucket.object("chunked.bin")
    obj.put_content(iter([b"abc", b"", b"defgh" * 1000]))
    assert obj.get_reader().read_all() == b"abc" + b"defgh" * 1000


def test_overwrite_bumps_the_version(scratch_bucket: Bucket) -> None:
    obj = scratch_bucket.object("v.bin")
    obj.put_content(b"1")
    obj.put_content(b"22")
    assert (obj.head().version, obj.head().size) == ("2", 2)


def test_archpath_reads_one_member(shard_bucket: Bucket) -> None:
    reader = shard_bucket.object("shard.tar").get_reader(
        archive_config=ArchiveConfig(archpath="s1/b.jpg")
    )
    assert reader.read_all() == SHARD_MEMBERS["s1/b.jpg"]


def test_archive_regex_returns_a_tar_of_matching_members(shard_bucket: Bucket) -> None:
    reader = shard_bucket.object("shard.tar").get_reader(
        archive_config=ArchiveConfig(regex=".jpg", mode="suffix")
    )
    with reader.raw() as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        names = [member.name for member in tar]
    assert sorted(names) == ["s0/a.jpg", "s1/b.jpg"]


def test_list_archive_lists_members_without_shard_prefix(shard_bucket: Bucket) -> None:
    assert shard_bucket.list_archive("shard.tar") == sorted(SHARD_MEMBERS)


def test_list_archive_of_missing_object_raises_object_not_found(shard_bucket: Bucket) -> None:
    with pytest.raises(ObjectNotFound, match=r"no-such\.tar"):
        shard_bucket.list_archive("no-such.tar")


def test_raw_stream_parses_as_tar(shard_bucket: Bucket) -> None:
    with (
        shard_bucket.object("shard.tar").get_reader().raw() as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,
    ):
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    assert members == SHARD_MEMBERS


def test_missing_archive_member_raises_object_not_found(shard_bucket: Bucket) -> None:
    reader = shard_bucket.object("shard.tar").get_reader(
        archive_config=ArchiveConfig(archpath="nope.jpg")
    )
    with pytest.raises(ObjectNotFound, match=r"nope\.jpg"):
        reader.read_all()


def test_missing_object_raises_object_not_found(scratch_bucket: Bucket) -> None:
    with pytest.raises(ObjectNotFound, match=r"missing\.bin") as info:
        scratch_bucket.object("missing.bin").get_reader().read_all()
    assert info.value.status == 404


def test_head_of_missing_object_raises_object_not_found(scratch_bucket: Bucket) -> None:
    with pytest.raises(ObjectNotFound, match="does not exist"):
        scratch_bucket.object("missing.bin").head()


def test_object_in_missing_bucket_raises_bucket_not_found(client: Client) -> None:
    with pytest.raises(BucketNotFound, match="client-test-none"):
        client.bucket("client-test-none").object("o").get_reader().read_all()


def test_etl_read_raises_etl_not_available_naming_the_etl(big_object: Bucket) -> None:
    reader = big_object.object("big.bin").get_reader(etl=ETLConfig("my-resize"))
    with pytest.raises(ETLNotAvailable) as info:
        reader.read_all()
    assert info.value.status == 501
    assert "'my-resize'" in info.value.message
    assert "Kubernetes" in info.value.message


def test_group_from_template_reads_its_objects(populated_bucket: PopulatedBucket) -> None:
    group = populated_bucket.bucket.objects(obj_template="a/obj-{0008..0020..2}.bin")
    read = {o.name: o.get_reader().read_all() for o in group.list_all_objects_iter()}
    assert read == {n: populated_bucket.contents[n] for n in group.list_names()}
    assert len(read) == 7
