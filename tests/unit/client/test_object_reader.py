"""ObjectReader over a scripted server: streaming, ranges, truncation, closing."""

from __future__ import annotations

import tarfile
from urllib.parse import urlsplit

import psutil
import pytest

from aisref.client import (
    ArchiveConfig,
    Bucket,
    ClusterUnreachable,
    ETLConfig,
    ObjectReadInterrupted,
)
from tests.unit.client.fake_ais import FakeAIS, Reply, fast_client

PAYLOAD = bytes(range(256)) * 64  # 16 KiB


def bucket_at(url: str) -> Bucket:
    return Bucket(fast_client(url, retries=0), "b")


def test_read_all_streams_in_chunks_and_returns_every_byte(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, PAYLOAD))
    assert bucket_at(fake_ais.url).object("o").get_reader(chunk_size=1000).read_all() == PAYLOAD


def test_iteration_yields_chunks_of_at_most_chunk_size(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, PAYLOAD))
    chunks = list(bucket_at(fake_ais.url).object("o").get_reader(chunk_size=4096))
    assert b"".join(chunks) == PAYLOAD
    assert max(len(c) for c in chunks) <= 4096


def test_byte_range_sends_range_header(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(206, PAYLOAD[10:20]), Reply(206, PAYLOAD[100:]))
    obj = bucket_at(fake_ais.url).object("o")
    assert obj.get_reader(byte_range=(10, 19)).read_all() == PAYLOAD[10:20]
    obj.get_reader(byte_range=(100, None)).read_all()
    assert [s.headers["Range"] for s in fake_ais.seen] == ["bytes=10-19", "bytes=100-"]


def test_archive_and_etl_become_query_parameters(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, b"m"))
    reader = (
        bucket_at(fake_ais.url)
        .object("s.tar")
        .get_reader(archive_config=ArchiveConfig(archpath="a.jpg"), etl=ETLConfig("e"))
    )
    reader.read_all()
    assert fake_ais.seen[0].path == "/v1/objects/b/s.tar?provider=ais&archpath=a.jpg&etl_name=e"


def test_response_headers_are_kept_after_the_read(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, b"x", headers={"ais-checksum-type": "xxhash"}))
    reader = bucket_at(fake_ais.url).object("o").get_reader()
    reader.read_all()
    assert reader.response_headers["Ais-Checksum-Type"] == "xxhash"


def test_body_cut_short_raises_read_interrupted_naming_object(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, PAYLOAD, cut_after=5000))
    with pytest.raises(ObjectReadInterrupted, match="ais://b/o") as info:
        bucket_at(fake_ais.url).object("o").get_reader().read_all()
    assert f"of {len(PAYLOAD)} bytes" in info.value.message


def test_raw_stream_cut_short_raises_read_interrupted(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, PAYLOAD, cut_after=5000))
    with (
        pytest.raises(ObjectReadInterrupted, match="ais://b/o"),
        bucket_at(fake_ais.url).object("o").get_reader().raw() as stream,
    ):
        stream.read()


def test_stalled_body_raises_read_interrupted_after_read_timeout(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, PAYLOAD, cut_after=100, stall=1.0))
    client = fast_client(fake_ais.url, retries=0)
    client.timeout = (2.0, 0.2)
    with pytest.raises(ObjectReadInterrupted, match="ais://b/o"):
        Bucket(client, "b").object("o").get_reader().read_all()


def test_unreachable_cluster_error_names_the_object(closed_port_url: str) -> None:
    with pytest.raises(ClusterUnreachable, match="reading ais://b/o"):
        bucket_at(closed_port_url).object("o").get_reader().read_all()


def test_raw_is_a_file_for_streaming_tar(fake_ais: FakeAIS, tmp_path) -> None:
    member = tmp_path / "m.txt"
    member.write_bytes(b"hello")
    with tarfile.open(tmp_path / "s.tar", "w") as tar:
        tar.add(member, arcname="m.txt")
    fake_ais.script(Reply(200, (tmp_path / "s.tar").read_bytes()))
    reader = bucket_at(fake_ais.url).object("s.tar").get_reader()
    with reader.raw() as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    assert contents == {"m.txt": b"hello"}
    assert stream.closed


def sockets_to(url: str) -> int:
    """Open TCP connections from this process to ``url``'s port."""
    port = urlsplit(url).port
    return sum(
        1
        for conn in psutil.Process().net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == port and conn.status == psutil.CONN_ESTABLISHED
    )


def test_closing_raw_early_releases_the_connection(fake_ais: FakeAIS) -> None:
    # 8 MiB: far more than one buffered read, so the body is still streaming when we close.
    fake_ais.script(Reply(200, PAYLOAD * 512))
    stream = bucket_at(fake_ais.url).object("o").get_reader().raw()
    assert stream.read(10) == PAYLOAD[:10]
    assert sockets_to(fake_ais.url) == 1
    stream.close()
    assert sockets_to(fake_ais.url) == 0


def test_invalid_byte_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="byte_range"):
        bucket_at("http://127.0.0.1:1").object("o").get_reader(byte_range=(5, 1))
