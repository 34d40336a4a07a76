"""A body cut mid-stream is resumed with a Range GET from the first byte not yet returned,
guarded by the object's version, checksum and size (issue #13, item 1).

The fake serves one object the way AIStore v1.5 does (headers seen on the real cluster:
Ais-Version, Ais-Checksum-*, Content-Range on a 206, no ETag) and cuts chosen replies.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field

import pytest

from aisref.client import (
    ArchiveConfig,
    Bucket,
    ObjectChangedDuringRead,
    ObjectReadInterrupted,
)
from aisref.client.resume import (
    ObjectIdentity,
    Span,
    identity_changes,
    parse_content_range,
    range_problem,
    resume_range,
)
from aisref.pytorch.tar_stream import iter_samples, iter_tar_members
from tests.unit.client.fake_ais import FakeAIS, Reply, Seen, fast_client

PAYLOAD = bytes(range(251)) * 80  # 20080 bytes; 251 is prime, so every offset is distinct


@dataclass
class RangeServer:
    """Answers GETs of one object, honouring ``Range``; reply ``n`` (1-based) is cut after
    ``cuts[n]`` body bytes. ``versions[n]`` replaces the object from reply ``n`` on."""

    data: bytes
    cuts: dict[int, int] = field(default_factory=dict)
    versions: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    validators: bool = True
    statuses: dict[int, int] = field(default_factory=dict)  # reply n answered with this error
    ignore_range: bool = False
    stalls: dict[int, float] = field(default_factory=dict)  # seconds before reply n's cut
    version: str = "1"
    replies: int = 0

    def __call__(self, seen: Seen) -> Reply:
        self.replies += 1
        n = self.replies
        if n in self.versions:
            self.version, self.data = self.versions[n]
        if n in self.statuses:
            return Reply(self.statuses[n], b'{"message":"fake: busy"}')
        headers = self._validators()
        body, status = self.data, 200
        asked = seen.headers.get("Range")
        if asked and not self.ignore_range:
            first, _, last = asked.removeprefix("bytes=").partition("-")
            end = min(int(last), len(self.data) - 1) if last else len(self.data) - 1
            if int(first) >= len(self.data):
                return Reply(416, b'{"message":"fake: not satisfiable range"}')
            body, status = self.data[int(first) : end + 1], 206
            headers["Content-Range"] = f"bytes {first}-{end}/{len(self.data)}"
        return Reply(status, body, headers, cut_after=self.cuts.get(n), stall=self.stalls.get(n, 0))

    def _validators(self) -> dict[str, str]:
        if not self.validators:
            return {}
        checksum = f"{hash(self.data) & 0xFFFFFFFF:08x}"
        return {
            "Ais-Version": self.version,
            "Ais-Checksum-Type": "xxhash",
            "Ais-Checksum-Value": checksum,
        }


def serve(fake: FakeAIS, server: RangeServer) -> RangeServer:
    fake.route = server
    return server


def ranges_sent(fake: FakeAIS) -> list[str | None]:
    return [seen.headers.get("Range") for seen in fake.seen]


def bucket_at(url: str, retries: int = 3) -> Bucket:
    return Bucket(fast_client(url, retries=retries), "b")


# -- the reproduction, and each way of reading ----------------------------------------


def test_read_all_cut_after_5000_bytes_is_resumed_with_exactly_two_requests(
    fake_ais: FakeAIS,
) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}))
    bucket = bucket_at(fake_ais.url, retries=3)
    assert bucket.object("o").get_reader().read_all() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, "bytes=5000-20079"]
    assert bucket.client.retries_made == 1


def test_raw_stream_resumes_every_cut_and_yields_each_byte_once(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000, 2: 3001, 3: 1}))
    with bucket_at(fake_ais.url).object("o").get_reader(chunk_size=4096).raw() as stream:
        assert stream.read() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, "bytes=5000-20079", "bytes=8001-20079",
                                     "bytes=8002-20079"]


def test_iteration_resumes_and_keeps_chunks_at_most_chunk_size(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 7777}))
    chunks = list(bucket_at(fake_ais.url).object("o").get_reader(chunk_size=1000))
    assert b"".join(chunks) == PAYLOAD
    assert max(len(chunk) for chunk in chunks) <= 1000
    assert len(fake_ais.seen) == 2


def test_stalled_body_is_resumed_after_the_read_timeout(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 100}, stalls={1: 1.0}))
    client = fast_client(fake_ais.url, retries=1)
    client.timeout = (2.0, 0.2)
    assert Bucket(client, "b").object("o").get_reader().read_all() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, "bytes=100-20079"]


# -- a byte range asked by the caller -----------------------------------------------------------


def test_cut_in_a_user_byte_range_resumes_inside_that_range(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 2500}))
    data = bucket_at(fake_ais.url).object("o").get_reader(byte_range=(1000, 9999)).read_all()
    assert data == PAYLOAD[1000:10000]
    assert ranges_sent(fake_ais) == ["bytes=1000-9999", "bytes=3500-9999"]


def test_open_ended_user_range_resumes_to_the_end_the_first_reply_stated(
    fake_ais: FakeAIS,
) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 10}))
    with bucket_at(fake_ais.url).object("o").get_reader(byte_range=(20000, None)).raw() as f:
        assert f.read() == PAYLOAD[20000:]
    assert ranges_sent(fake_ais) == ["bytes=20000-", "bytes=20010-20079"]


# -- the guard --------------------------------------------------------------------------------


def test_object_replaced_between_the_cut_and_the_resume_is_a_typed_error_not_a_splice(
    fake_ais: FakeAIS,
) -> None:
    newer = bytes(reversed(PAYLOAD))
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, versions={2: ("2", newer)}))
    received = bytearray()
    with (
        pytest.raises(ObjectChangedDuringRead) as info,
        bucket_at(fake_ais.url).object("o").get_reader(chunk_size=1000).raw() as stream,
    ):
        while chunk := stream.read(1000):
            received += chunk
    assert bytes(received) == PAYLOAD[:5000]  # nothing of the new version
    message = info.value.message
    assert "ais://b/o changed while it was being read" in message
    assert "byte offset 5000" in message
    assert "Ais-Version '1' -> '2'" in message
    assert f"from node {fake_ais.url}" in message
    assert len(fake_ais.seen) == 2  # no further attempt: a retry cannot fix a new version


def test_same_version_with_another_checksum_is_a_changed_object(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, versions={2: ("1", PAYLOAD[::-1])}))
    with pytest.raises(ObjectChangedDuringRead, match="Ais-Checksum-Value"):
        bucket_at(fake_ais.url).object("o").get_reader().read_all()


def test_object_shrunk_below_the_offset_is_a_changed_object(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, versions={2: ("2", b"short")}))
    with pytest.raises(ObjectChangedDuringRead, match="HTTP 416"):
        bucket_at(fake_ais.url).object("o").get_reader().read_all()


def test_reply_that_ignores_the_range_is_refused_not_spliced(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, ignore_range=True))
    with pytest.raises(ObjectReadInterrupted, match="not 206 Partial Content") as info:
        bucket_at(fake_ais.url).object("o").get_reader().read_all()
    assert not isinstance(info.value, ObjectChangedDuringRead)
    assert len(fake_ais.seen) == 2


# -- bounded retries --------------------------------------------------------------------------


def test_cut_every_time_stops_after_the_retries_with_object_node_and_offset(
    fake_ais: FakeAIS,
) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000, 2: 1000, 3: 1000}))
    bucket = bucket_at(fake_ais.url, retries=2)
    with pytest.raises(ObjectReadInterrupted) as info:
        bucket.object("o").get_reader().read_all()
    message = info.value.message
    assert f"reading ais://b/o from node {fake_ais.url} stopped after 7000 of 20080 bytes" \
        in message
    assert "at byte offset 7000 of the object" in message
    assert "2 retries made (the client's retries=2)" in message
    assert len(fake_ais.seen) == 3
    assert bucket.client.retries_made == 2


def test_busy_node_while_resuming_uses_one_more_retry_then_succeeds(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, statuses={2: 503}))
    bucket = bucket_at(fake_ais.url, retries=3)
    assert bucket.object("o").get_reader().read_all() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, "bytes=5000-20079", "bytes=5000-20079"]
    assert bucket.client.retries_made == 2


def test_last_failed_resume_is_named_in_the_error(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, statuses={2: 503}))
    with pytest.raises(ObjectReadInterrupted, match="the last GET failed: HTTP 503"):
        bucket_at(fake_ais.url, retries=1).object("o").get_reader().read_all()


def test_no_retries_means_no_resume(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}))
    with pytest.raises(ObjectReadInterrupted, match="no retries allowed"):
        bucket_at(fake_ais.url, retries=0).object("o").get_reader().read_all()
    assert len(fake_ais.seen) == 1


# -- replies that cannot be resumed by range -----------------------------------------------------


def test_stream_without_version_or_checksum_is_not_resumed(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, validators=False))
    with (
        pytest.raises(ObjectReadInterrupted, match="named no version, checksum or ETag"),
        bucket_at(fake_ais.url).object("o").get_reader().raw() as stream,
    ):
        stream.read()
    assert len(fake_ais.seen) == 1


def test_read_all_without_validators_reads_again_from_the_start(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}, validators=False))
    assert bucket_at(fake_ais.url).object("o").get_reader().read_all() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, None]


def test_read_all_of_an_archive_member_reads_it_again_whole(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}))  # validators, yet no Range allowed
    reader = bucket_at(fake_ais.url).object("s.tar").get_reader(
        archive_config=ArchiveConfig(archpath="a.bin")
    )
    assert reader.read_all() == PAYLOAD
    assert ranges_sent(fake_ais) == [None, None]
    assert all("archpath=a.bin" in seen.path for seen in fake_ais.seen)


def test_stream_of_an_archive_member_is_not_resumed(fake_ais: FakeAIS) -> None:
    serve(fake_ais, RangeServer(PAYLOAD, cuts={1: 5000}))
    reader = bucket_at(fake_ais.url).object("s.tar").get_reader(
        archive_config=ArchiveConfig(archpath="a.bin")
    )
    with pytest.raises(ObjectReadInterrupted, match="does not range-read archive members"):
        b"".join(reader)
    assert len(fake_ais.seen) == 1


# -- tar parsing over a resumed stream ---------------------------------------------------------


def _shard(samples: int) -> tuple[bytes, list[tuple[str, dict[str, bytes]]]]:
    buffer = io.BytesIO()
    expected = []
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for k in range(samples):
            fields = {"txt": f"text {k}".encode() * (k + 1), "bin": bytes([k]) * (700 + k)}
            for ext, data in fields.items():
                info = tarfile.TarInfo(f"s/k{k:02d}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            expected.append((f"s/k{k:02d}", fields))
    return buffer.getvalue(), expected


@pytest.mark.parametrize(
    "cuts",
    [
        {1: 100},  # inside the first header
        {1: 512},  # on a header boundary
        {1: 1500, 2: 1, 3: 2048},  # inside member data, then a byte, then a block boundary
    ],
)
def test_tar_parser_over_a_resumed_stream_yields_every_sample_exactly_once(
    fake_ais: FakeAIS, cuts: dict[int, int]
) -> None:
    shard, expected = _shard(12)
    serve(fake_ais, RangeServer(shard, cuts=cuts))
    reader = bucket_at(fake_ais.url).object("shard.tar").get_reader(chunk_size=1024)
    with reader.raw() as stream:
        samples = list(iter_samples(iter_tar_members(stream, "ais://b/shard.tar"), "shard"))
    assert samples == expected
    assert len(fake_ais.seen) == len(cuts) + 1


# -- the pure parts ---------------------------------------------------------------------------


def test_content_range_is_parsed_with_known_and_unknown_size() -> None:
    assert parse_content_range("bytes 5000-9999/100000") == (5000, 9999, 100000)
    assert parse_content_range("bytes 0-0/*") == (0, 0, None)
    assert parse_content_range("bytes */100") is None


def test_resume_range_continues_the_span_after_the_delivered_bytes() -> None:
    assert resume_range(Span(0, 99, 100), 40) == "bytes=40-99"
    assert resume_range(Span(1000, 9999, 20000), 2500) == "bytes=3500-9999"
    assert resume_range(Span(0, None, None), 7) == "bytes=7-"


def test_identity_changes_name_each_difference_and_a_missing_validator() -> None:
    before = ObjectIdentity(100, (("Ais-Version", "1"), ("Ais-Checksum-Value", "ab")))
    assert identity_changes(before, before) == []
    after = ObjectIdentity(90, (("Ais-Version", "2"),))
    assert identity_changes(before, after) == [
        "Ais-Version '1' -> '2'",
        "Ais-Checksum-Value 'ab' -> '(absent)'",
        "size 100 -> 90 bytes",
    ]


def test_range_problem_accepts_only_the_exact_continuation() -> None:
    span = Span(0, 99, 100)
    assert range_problem(span, 40, 206, {"Content-Range": "bytes 40-99/100"}) == ""
    assert "HTTP 200" in range_problem(span, 40, 200, {})
    assert "bytes 40-99 asked for" in range_problem(
        span, 40, 206, {"Content-Range": "bytes 0-99/100"}
    )
