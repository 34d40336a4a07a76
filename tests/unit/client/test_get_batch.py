"""GetBatch client logic against a scripted fake server and in-memory streams: the request
body, pairing members with entries, re-requesting after a cut, framing, error types. What
AIStore itself does is checked in tests/integration/test_get_batch.py."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from aisref.client import (
    AISError,
    AISSource,
    Bucket,
    ClusterUnreachable,
    GetBatchError,
    GetBatchInterrupted,
    GetBatchTooManyMissing,
    GetBatchUnsupported,
    MossIn,
    Object,
    ObjectNotFound,
)
from aisref.client.batch_errors import batch_error
from aisref.client.batch_framing import FramingError, GunzipStream, MultipartReader
from aisref.client.get_batch import Batch
from aisref.pytorch import AISMapDataset
from tests.unit.client.fake_ais import FakeAIS, Reply, fast_client
from tests.unit.pytorch.test_tar_stream import make_tar

TAR = {"Content-Type": "application/x-tar"}


def batch_on(fake: FakeAIS, names: list[str], retries: int = 3, **kw: Any) -> Batch:
    client = fast_client(fake.url, retries=retries)
    return Batch(client, names, bucket=Bucket(client, "b"), **kw)


def test_request_body_lists_every_entry_in_order_with_the_flags(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, make_tar([("b/x", b"1"), ("b/y", b"2")]), TAR))
    batch = batch_on(fake_ais, [], cont_on_err=False, colocation=1)
    batch.add("x").add("y", archpath="in/a.jpg", start=3, length=-1, opaque=b"\x00\xff")
    with pytest.raises(GetBatchError, match=r"member 1 is .b/y., expected .b/y/in/a\.jpg."):
        list(batch.get())
    seen = fake_ais.seen[0]
    assert seen.method == "GET" and seen.path == "/v1/ml/moss?coloc=1"
    assert json.loads(seen.body) == {
        "in": [
            {"objname": "x", "bucket": "b", "provider": "ais"},
            {"objname": "y", "bucket": "b", "provider": "ais", "archpath": "in/a.jpg",
             "opaque": "AP8=", "start": 3, "length": -1},
        ],
        "coer": False, "onob": False, "strm": True, "coloc": 1,
    }  # fmt: skip


def test_members_pair_with_entries_in_order_and_missing_ones_carry_an_error(
    fake_ais: FakeAIS,
) -> None:
    fake_ais.script(
        Reply(200, make_tar([("b/x", b"1"), ("__404__/b/gone", b""), ("b/z", b"")]), TAR)
    )
    got = list(batch_on(fake_ais, ["x", "gone", "z"]).get())
    assert [(out.obj_name, data, bool(out.err_msg)) for out, data in got] == [
        ("x", b"1", False), ("gone", b"", True), ("z", b"", False)
    ]  # fmt: skip


def test_the_reply_is_not_read_past_the_last_entry(fake_ais: FakeAIS) -> None:
    # A v1.5.0 target sends the tar's end blocks ~100 ms after the last entry: the batch is
    # done at its last entry. Anything after it - here garbage that would fail the tar parser
    # - is never read.
    members = make_tar([("b/x", b"1"), ("b/y", b"22")])
    fake_ais.script(Reply(200, members[:-1024] + b"\xff" * 2048, TAR))
    assert [data for _, data in batch_on(fake_ais, ["x", "y"]).get()] == [b"1", b"22"]


def test_a_member_out_of_step_with_the_entries_is_an_error_not_a_shift(
    fake_ais: FakeAIS,
) -> None:
    fake_ais.script(Reply(200, make_tar([("b/y", b"1"), ("b/x", b"1")]), TAR))
    with pytest.raises(GetBatchError, match="out of step with the request"):
        list(batch_on(fake_ais, ["x", "y"]).get())


def test_a_cut_reply_is_re_requested_for_exactly_the_entries_not_yet_yielded(
    fake_ais: FakeAIS,
) -> None:
    whole = make_tar([("b/x", b"X" * 600), ("b/y", b"Y" * 600), ("b/z", b"Z")])
    rest = make_tar([("b/y", b"Y" * 600), ("b/z", b"Z")])
    fake_ais.script(Reply(200, whole, TAR, cut_after=2000), Reply(200, rest, TAR))
    batch = batch_on(fake_ais, ["x", "y", "z"])
    assert [data for _, data in batch.get()] == [b"X" * 600, b"Y" * 600, b"Z"]
    assert [e["objname"] for e in json.loads(fake_ais.seen[1].body)["in"]] == ["y", "z"]
    assert batch.request_client.retries_made == 1


def test_cuts_past_the_retries_raise_interrupted_naming_entry_and_offset(
    fake_ais: FakeAIS,
) -> None:
    whole = make_tar([("b/x", b"X" * 600), ("b/y", b"Y" * 600)])
    rest = make_tar([("b/y", b"Y" * 600)])
    fake_ais.script(Reply(200, whole, TAR, cut_after=2000), Reply(200, rest, TAR, cut_after=700))
    with pytest.raises(GetBatchInterrupted, match=r"in entry 1 \(ais://b/y\)") as caught:
        list(batch_on(fake_ais, ["x", "y"], retries=1).get())
    assert "byte offset 700 of the reply" in str(caught.value)
    assert "1 re-requests made" in str(caught.value)


def test_a_short_archive_without_continue_on_error_names_the_missing_object(
    fake_ais: FakeAIS,
) -> None:
    fake_ais.script(
        Reply(200, make_tar([("b/x", b"1")]), TAR),
        Reply(404, b'{"message":"b/gone does not exist","status":404}'),  # the HEAD
    )
    with pytest.raises(ObjectNotFound, match=r"entry 1 ais://b/gone does not exist"):
        list(batch_on(fake_ais, ["x", "gone", "z"], cont_on_err=False).get())
    assert fake_ais.seen[1].method == "HEAD" and fake_ais.seen[1].path.startswith(
        "/v1/objects/b/gone"
    )


def test_a_short_archive_of_existing_objects_is_re_requested_for_the_rest(
    fake_ais: FakeAIS,
) -> None:
    # What a v1.5.0 designated target sends when a peer it gathers from is killed mid-batch:
    # a clean but short archive. The entries not yet delivered are asked for again.
    fake_ais.script(
        Reply(200, make_tar([("b/x", b"1")]), TAR),
        Reply(200, b""),  # the HEAD that tells a missing object from a short archive
        Reply(200, make_tar([("b/y", b"2"), ("b/z", b"3")]), TAR),
    )
    batch = batch_on(fake_ais, ["x", "y", "z"], cont_on_err=False)
    assert [data for _, data in batch.get()] == [b"1", b"2", b"3"]
    assert fake_ais.seen[1].method == "HEAD"
    assert [e["objname"] for e in json.loads(fake_ais.seen[2].body)["in"]] == ["y", "z"]
    assert batch.request_client.retries_made == 1


def test_the_proxys_connection_refused_for_a_dead_target_is_retried(fake_ais: FakeAIS) -> None:
    refused = (b'{"message":"dial tcp 127.0.0.1:9081: connect: connection refused",'
               b'"status":400}')
    fake_ais.script(Reply(400, refused), Reply(200, make_tar([("b/x", b"1")]), TAR))
    batch = batch_on(fake_ais, ["x"])
    assert [data for _, data in batch.get()] == [b"1"]
    assert batch.request_client.retries_made == 1


def test_a_target_not_ready_through_the_clients_retries_is_asked_again(fake_ais: FakeAIS) -> None:
    # A designated target restarting after a kill answers 503 "not ready yet" for a while.
    not_ready = b'{"message":"not ready yet","status":503}'
    fake_ais.script(Reply(503, not_ready), Reply(503, not_ready),
                    Reply(200, make_tar([("b/x", b"1")]), TAR))
    batch = batch_on(fake_ais, ["x"], retries=1)
    assert [data for _, data in batch.get()] == [b"1"]
    assert len(fake_ais.seen) == 3


def test_a_dead_target_past_the_retries_is_interrupted_naming_the_whole_batch(
    fake_ais: FakeAIS,
) -> None:
    refused = (b'{"message":"dial tcp 127.0.0.1:9081: connect: connection refused",'
               b'"status":400}')
    fake_ais.script(Reply(200, make_tar([("b/x", b"1")]), TAR),
                    Reply(200),  # the HEAD of the first entry not delivered: it exists
                    Reply(400, refused), Reply(400, refused),  # a re-request, one retry of it
                    Reply(200))  # the HEAD of the first entry not delivered: its node answers
    with pytest.raises(GetBatchInterrupted) as caught:
        list(batch_on(fake_ais, ["x", "y", "z"], retries=1).get())
    # the batch, the HEAD, the re-request and the client's retry of it, the HEAD that
    # looks for the node holding the first entry not delivered, and the cluster map asked
    # for the targets that do not answer (the fake has none to give: no diagnosis added)
    assert [seen.method for seen in fake_ais.seen] == ["GET", "HEAD", "GET", "GET", "HEAD",
                                                       "GET"]
    assert "what=smap" in fake_ais.seen[-1].path
    message = str(caught.value)
    assert "GetBatch of 3 entries (ais://b/x ... ais://b/z)" in message
    assert "connection refused" in message and "after 1 of 3 entries" in message


def test_a_short_archive_whose_next_entry_sits_on_a_dead_node_names_entry_and_node(
    fake_ais: FakeAIS, closed_port_url: str
) -> None:
    # A peer killed mid-batch: the archive ends short, and the HEAD of the first entry not
    # delivered is redirected to that peer, which does not answer.
    fake_ais.route = lambda seen: (
        Reply(200, make_tar([("b/x", b"1")]), TAR) if seen.method == "GET"
        else Reply(307, headers={"Location": f"{closed_port_url}/v1/objects/b/y"}))
    with pytest.raises(ClusterUnreachable) as caught:
        list(batch_on(fake_ais, ["x", "y", "z"], retries=1).get())
    message = str(caught.value)
    assert "entry ais://b/y is held by a node that cannot be reached" in message
    assert "the archive ended after 1 of 3 entries" in message
    assert closed_port_url.split("://")[1] in message


def test_a_short_archive_after_missing_entries_is_the_soft_error_limit(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, make_tar([("__404__/b/a", b""), ("__404__/b/b", b"")]), TAR))
    with pytest.raises(GetBatchTooManyMissing, match="after 2 of 3 entries, 2 of them missing"):
        list(batch_on(fake_ais, ["a", "b", "c"]).get())


def multipart(boundary: str, metadata: dict[str, Any], archive: bytes) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'.encode()
        + json.dumps(metadata).encode()
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="archive"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + archive
        + f"\r\n--{boundary}--\r\n".encode()
    )


class Dribble(io.RawIOBase):
    """A raw stream that returns at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__()
        self._data, self._step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(self._step, len(buffer), len(self._data))
        buffer[:n], self._data = self._data[:n], self._data[n:]
        return n


@pytest.mark.parametrize("step", [1, 3, 70, 1 << 20])
def test_multipart_parts_come_out_whole_however_the_bytes_arrive(step: int) -> None:
    archive = make_tar([("b/x", b"\r\n--bn" * 100)])  # a delimiter prefix inside the data
    body = multipart("bnd", {"out": [{"objname": "x"}]}, archive)
    parts = MultipartReader(io.BufferedReader(Dribble(body, step), buffer_size=step), "bnd")
    first, second = parts.next_part(), parts.next_part()
    assert first is not None and second is not None
    assert (first[0], second[0]) == ("metadata", "archive")
    assert parts.next_part() is None  # metadata was skipped to its end by next_part...
    # ...so read a fresh copy to check each part's bytes
    parts = MultipartReader(io.BufferedReader(Dribble(body, step), buffer_size=step), "bnd")
    meta = parts.next_part()
    assert meta is not None and json.loads(meta[1].read_all(1 << 20)) == {"out": [{"objname": "x"}]}
    data = parts.next_part()
    assert data is not None and data[1].read() == archive


def test_a_multipart_body_that_ends_inside_a_part_is_a_framing_error() -> None:
    body = multipart("bnd", {"out": []}, b"tar bytes")[:-20]
    parts = MultipartReader(io.BufferedReader(io.BytesIO(body)), "bnd")
    parts.next_part()
    archive = parts.next_part()
    assert archive is not None
    with pytest.raises(FramingError, match="ended inside a part"):
        archive[1].read()


def test_multipart_metadata_supplies_sizes_and_the_servers_error(fake_ais: FakeAIS) -> None:
    meta = {"uuid": "u", "out": [
        {"objname": "x", "bucket": "b", "provider": "ais", "size": 1},
        {"objname": "gone", "bucket": "b", "err_msg": "t[t1]: ais://b/gone does not exist"},
    ]}  # fmt: skip
    body = multipart("q1", meta, make_tar([("b/x", b"1"), ("__404__/b/gone", b"")]))
    fake_ais.script(Reply(200, body, {"Content-Type": "multipart/mixed; boundary=q1"}))
    got = list(batch_on(fake_ais, ["x", "gone"], streaming_get=False).get())
    assert [(out.err_msg, data) for out, data in got] == [
        ("", b"1"), ("t[t1]: ais://b/gone does not exist", b"")
    ]  # fmt: skip


def test_gunzip_stream_inflates_in_small_reads() -> None:
    import gzip

    data = bytes(range(256)) * 4000
    stream = GunzipStream(io.BufferedReader(io.BytesIO(gzip.compress(data))))
    out = b""
    while chunk := stream.read(777):
        out += chunk
    assert out == data


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (400, "invalid request URI: 'GET /v1/ml/moss' from 127.0.0.1:1", GetBatchUnsupported),
        (501, "not implemented", GetBatchUnsupported),
        (405, "Method Not Allowed", GetBatchUnsupported),
        (404, "t[t1]: ais://b/o does not exist", ObjectNotFound),
        (400, 'wid="w" exceeded soft-errors limit: 9 (max: 8)', GetBatchTooManyMissing),
        (416, "range not satisfiable", GetBatchError),
    ],
)
def test_refusals_become_typed_errors(status: int, message: str, kind: type[AISError]) -> None:
    err = batch_error(AISError(message, status, "http://t:1/v1/ml/moss"), "GetBatch of 2 entries")
    assert type(err) is kind and str(err).endswith(err.message)
    assert err.message.startswith("GetBatch of 2 entries: ")


def test_entries_reject_ranges_the_server_rejects() -> None:
    with pytest.raises(ValueError, match="a non-zero start needs a length"):
        MossIn("o", "b", start=5)
    with pytest.raises(ValueError, match="length > 0, or -1"):
        MossIn("o", "b", length=-2)
    assert MossIn("o", "b", archpath="d/x.jpg").missing_names(False) == {
        "__404__/b/o", "__404__/b/o/d/x.jpg", "__404__/b/od/x.jpg"
    }  # fmt: skip


class FakeBucketSource(AISSource):
    """Real ``Object``s of bucket ``b`` on the fake server; no listing request."""

    def __init__(self, url: str, names: list[str]) -> None:
        self._client = fast_client(url)
        self.names = names

    @property
    def client(self) -> Any:
        return self._client

    @client.setter
    def client(self, client: Any) -> None:
        self._client = client

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Any:
        return iter([Object(Bucket(self._client, "b"), name) for name in self.names])

    def list_urls(self, prefix: str = "", etl_name: str | None = None) -> Any:
        return iter([])


def test_map_dataset_falls_back_to_object_reads_once_get_batch_is_unsupported(
    fake_ais: FakeAIS,
) -> None:
    def route(seen: Any) -> Reply:
        if seen.path.startswith("/v1/ml/moss"):
            return Reply(400, b'{"message":"invalid request URI: \'GET /v1/ml/moss\'"}')
        return Reply(200, seen.path.split("?")[0].rsplit("/", 1)[1].encode())

    fake_ais.route = route
    dataset = AISMapDataset(FakeBucketSource(fake_ais.url, ["o1", "o2", "o3"]))
    assert dataset.__getitems__([2, 0]) == [("o3", b"o3"), ("o1", b"o1")]
    assert dataset.__getitems__([1, 2]) == [("o2", b"o2"), ("o3", b"o3")]
    moss = [seen for seen in fake_ais.seen if seen.path.startswith("/v1/ml/moss")]
    assert len(moss) == 1  # detected once, then object by object


def test_map_dataset_raises_unsupported_after_get_batch_has_worked(fake_ais: FakeAIS) -> None:
    replies = iter([
        Reply(200, make_tar([("b/o1", b"1"), ("b/o2", b"2")]), TAR),
        Reply(501, b'{"message":"not implemented"}'),
    ])  # fmt: skip
    fake_ais.route = lambda seen: next(replies)
    dataset = AISMapDataset(FakeBucketSource(fake_ais.url, ["o1", "o2"]))
    assert dataset.__getitems__([0, 1]) == [("o1", b"1"), ("o2", b"2")]
    with pytest.raises(GetBatchUnsupported):
        dataset.__getitems__([0, 1])
