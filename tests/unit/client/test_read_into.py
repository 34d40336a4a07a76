"""``ObjectReader.read_all_into``: an object's body read from the socket straight into a
caller's buffer (issue #12 item 5), resumed after a cut exactly as ``read_all`` is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aisref.client import ArchiveConfig, ObjectChangedDuringRead
from tests.unit.client.fake_ais import FakeAIS, Reply
from tests.unit.client.test_resume import PAYLOAD, RangeServer, bucket_at, ranges_sent, serve

REPO = Path(__file__).resolve().parents[3]


class Allocations:
    """An allocator that records the sizes asked for and hands out bytearrays."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, size: int) -> tuple[bytearray, memoryview]:
        self.sizes.append(size)
        buffer = bytearray(b"\xee" * size)  # not zeros: every byte must be written
        return buffer, memoryview(buffer)


def test_the_buffer_is_sized_from_content_length_and_holds_the_object(
    fake_ais: FakeAIS,
) -> None:
    serve(fake_ais, RangeServer(PAYLOAD))
    allocate = Allocations()
    buffer = bucket_at(fake_ais.url).object("o").get_reader().read_all_into(allocate)
    assert allocate.sizes == [len(PAYLOAD)]
    assert bytes(buffer) == PAYLOAD


def test_a_cut_body_is_resumed_into_the_same_buffer_byte_for_byte(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000, 2: 3001, 3: 1}))
    bucket = bucket_at(fake_ais.url, retries=3)
    allocate = Allocations()
    buffer = bucket.object("o").get_reader().read_all_into(allocate)
    assert bytes(buffer) == PAYLOAD
    assert allocate.sizes == [len(PAYLOAD)]  # one buffer: the resumed bytes land in it
    assert ranges_sent(fake_ais) == [None, "bytes=5000-20079", "bytes=8001-20079",
                                     "bytes=8002-20079"]
    assert bucket.client.retries_made == 3


def test_an_object_changed_before_the_resume_is_not_joined(fake_ais: FakeAIS) -> None:
    newer = bytes(reversed(PAYLOAD))
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, versions={2: ("2", newer)}))
    with pytest.raises(ObjectChangedDuringRead, match="Ais-Version '1' -> '2'"):
        bucket_at(fake_ais.url).object("o").get_reader().read_all_into(Allocations())


def test_an_archive_member_cut_is_read_again_over_the_same_buffer(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}))
    reader = bucket_at(fake_ais.url).object("s.tar").get_reader(
        archive_config=ArchiveConfig(archpath="a.bin")
    )
    allocate = Allocations()
    assert bytes(reader.read_all_into(allocate)) == PAYLOAD
    assert ranges_sent(fake_ais) == [None, None]
    assert allocate.sizes == [len(PAYLOAD)]


def test_a_byte_range_is_read_into_a_buffer_of_its_length(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 300}))
    reader = bucket_at(fake_ais.url).object("o").get_reader(byte_range=(1000, 1999))
    allocate = Allocations()
    assert bytes(reader.read_all_into(allocate)) == PAYLOAD[1000:2000]
    assert allocate.sizes == [1000]
    assert ranges_sent(fake_ais) == ["bytes=1000-1999", "bytes=1300-1999"]


def test_an_empty_object_gives_an_empty_buffer(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, b"", {"Ais-Version": "1"}))
    assert bytes(bucket_at(fake_ais.url).object("o").get_reader().read_all_into(
        Allocations())) == b""


def test_reads_into_buffers_reuse_one_connection(fake_ais: FakeAIS) -> None:
    # The socket is read beneath urllib3; the connection must still go back to the pool.
    serve(fake_ais, RangeServer(PAYLOAD))
    obj = bucket_at(fake_ais.url).object("o")
    for _ in range(3):
        assert bytes(obj.get_reader().read_all_into(Allocations())) == PAYLOAD
    assert len({seen.peer for seen in fake_ais.seen}) == 1


def test_the_client_imports_without_torch() -> None:
    code = (
        "import sys; import aisref.client; "
        "assert 'torch' not in sys.modules, 'aisref.client imported torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
