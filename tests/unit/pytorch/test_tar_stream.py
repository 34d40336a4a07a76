"""Streaming tar parsing and webdataset-style sample grouping."""

import io
import tarfile

import pytest

from aisref.client import ShardFormatError
from aisref.pytorch.tar_stream import (
    TarMember,
    iter_samples,
    iter_tar_members,
    split_sample_key,
)

SHARD = "ais://bck/shard-0.tar"


def make_tar(members: list[tuple[str, bytes]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class TrickleStream:
    """A file-like that returns at most ``step`` bytes per read and records what was asked."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._inner = io.BytesIO(data)
        self._step = step
        self.largest_request = 0

    def read(self, size: int = -1) -> bytes:
        self.largest_request = max(self.largest_request, size)
        return self._inner.read(min(size, self._step) if size >= 0 else self._step)

    def tell(self) -> int:
        return self._inner.tell()


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    return [(m.name, m.data) for m in iter_tar_members(io.BytesIO(data), SHARD)]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_members_come_back_in_archive_order_with_their_bytes(fmt):
    members = [("s1.jpg", b"\xff" * 1000), ("s1.cls", b"3"), ("s2.jpg", b"")]
    assert members_of(make_tar(members, fmt)) == members


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_member_names_survive(fmt):
    name = "d/" * 80 + "sample.txt"
    assert members_of(make_tar([(name, b"x")], fmt)) == [(name, b"x")]


def test_ustar_name_prefix_is_joined_to_the_name():
    name = "p" * 120 + "/sample.txt"
    assert members_of(make_tar([(name, b"x")], tarfile.USTAR_FORMAT)) == [(name, b"x")]


def test_non_ascii_names_survive():
    assert members_of(make_tar([("échantillon.txt", b"x")])) == [("échantillon.txt", b"x")]


def test_directories_are_not_members():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        directory = tarfile.TarInfo("dir")
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
        info = tarfile.TarInfo("dir/a.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"a"))
    assert [name for name, _ in members_of(buf.getvalue())] == ["dir/a.txt"]


def test_small_reads_parse_the_same_as_one_big_read():
    data = make_tar([(f"s{i}.bin", bytes([i]) * (300 + i)) for i in range(20)])
    assert [(m.name, m.data) for m in iter_tar_members(TrickleStream(data), SHARD)] == members_of(
        data
    )


def test_memory_is_bounded_by_the_largest_member_not_the_shard():
    sizes = [10_000, 40_000, 5_000, 30_000]
    data = make_tar([(f"s{i}.bin", b"z" * size) for i, size in enumerate(sizes)])
    stream = TrickleStream(data, step=4096)
    members = iter_tar_members(stream, SHARD)
    first = next(members)
    # Only the first header, member and its padding have been consumed so far.
    assert stream.tell() <= 512 + 512 + len(first.data) + 512
    list(members)
    assert stream.largest_request <= max(sizes)


def test_truncated_member_data_raises_naming_shard_and_member():
    data = make_tar([("s1.jpg", b"a" * 2000), ("s2.jpg", b"b" * 2000)])
    cut = data[: 512 + 2048 + 512 + 100]
    with pytest.raises(ShardFormatError, match=r"ais://bck/shard-0\.tar.*'s2\.jpg'.*truncated"):
        members_of(cut)


def test_archive_cut_inside_a_header_raises_naming_its_offset():
    data = make_tar([("s1.jpg", b"a" * 512), ("s2.jpg", b"b" * 512)])
    with pytest.raises(ShardFormatError, match=r"truncated header.* at byte offset 1024;"):
        members_of(data[: 512 + 512 + 300])


def test_corrupt_header_raises_naming_the_shard():
    data = bytearray(make_tar([("s1.jpg", b"a")]))
    data[10] ^= 0xFF
    with pytest.raises(ShardFormatError, match=r"shard-0\.tar.*checksum"):
        members_of(bytes(data))


def test_non_tar_bytes_raise():
    with pytest.raises(ShardFormatError):
        members_of(b"this is certainly not a tar archive" * 40)


def test_empty_object_raises():
    with pytest.raises(ShardFormatError, match="empty"):
        members_of(b"")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.jpg", ("a", "jpg")),
        ("dir/a.seg.png", ("dir/a", "seg.png")),
        ("d.x/a.b", ("d.x/a", "b")),
        ("noext", None),
        ("dir/.hidden", None),
    ],
)
def test_sample_key_is_path_up_to_first_dot_of_file_name(name, expected):
    assert split_sample_key(name) == expected


def samples(*names_and_data):
    return list(iter_samples([TarMember(n, d) for n, d in names_and_data], SHARD))


def test_consecutive_members_with_one_key_form_one_sample():
    assert samples(("a.jpg", b"1"), ("a.cls", b"2"), ("b.jpg", b"3")) == [
        ("a", {"jpg": b"1", "cls": b"2"}),
        ("b", {"jpg": b"3"}),
    ]


def test_samples_missing_members_keep_only_what_they_have():
    assert samples(("a.jpg", b"1"), ("b.cls", b"2")) == [("a", {"jpg": b"1"}), ("b", {"cls": b"2"})]


def test_members_without_extension_are_skipped():
    assert samples(("README", b"r"), ("a.jpg", b"1")) == [("a", {"jpg": b"1"})]


def test_metadata_members_are_skipped_even_with_an_extension():
    # "__meta__/info.json" has a key and an extension: only the metadata rule skips it; the
    # rule is webdataset's, so "__index__.d/" (no "__" right before the slash) is a sample.
    members = [("__meta__/info.json", b"{}"), ("__index__.d/x.bin", b"i"), ("a.jpg", b"1")]
    assert samples(*members) == [("__index__.d/x", {"bin": b"i"}), ("a", {"jpg": b"1"})]


def test_duplicate_extension_within_a_sample_raises_naming_the_member():
    with pytest.raises(ShardFormatError, match=r"'a\.jpg'"):
        samples(("a.jpg", b"1"), ("a.jpg", b"2"))


def test_samples_agree_with_webdataset_grouping():
    wds = pytest.importorskip("webdataset.tariterators")
    members = [("a.jpg", b"1"), ("a.cls", b"2"), ("b.jpg", b"3"), ("c.seg.png", b"4")]
    theirs = [
        (s["__key__"], {k: v for k, v in s.items() if not k.startswith("__")})
        for s in wds.group_by_keys({"fname": n, "data": d, "__url__": SHARD} for n, d in members)
    ]
    assert samples(*members) == theirs
