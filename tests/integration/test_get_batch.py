"""GetBatch (``/v1/ml/moss``) on the real cluster: framing, order, missing entries, limits,
ranges and archpaths, bounded memory, a cut reply; the datasets built on it (issue #12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from aisbench.cluster.health import fetch_smap
from aisbench.faults.tcp_proxy import BodyCut, LinkFaults, cluster_link
from aisref.client import (
    Bucket,
    Client,
    Colocation,
    GetBatchInterrupted,
    GetBatchTooManyMissing,
    MossOut,
    ObjectNotFound,
    RequestClient,
)
from aisref.client.request_client import RequestClient as RequestClientClass
from aisref.pytorch import AISBatchIterDataset, AISMapDataset, AISShardMapDataset
from tests.integration.client_fixtures import make_tar
from tests.integration.pytorch_fixtures import (
    ObjectsBucket,
    ShardsBucket,
    import_official_pytorch,
    make_shard,
    objects_bucket,
    pt_endpoint,
    shards_bucket,
    temporary_bucket,
)

__all__ = ["objects_bucket", "pt_endpoint", "shards_bucket"]  # fixtures used below

pytestmark = pytest.mark.integration

MEMBERS = {"k1.jpg": os.urandom(3000), "k1.cls": b"7", "dir/k2.jpg": os.urandom(700)}
BIG = os.urandom(50_000)


@pytest.fixture(scope="module")
def mixed_bucket(pt_endpoint: str) -> Iterator[Bucket]:
    """``big.bin`` (50,000 random bytes), ``shard.tar`` (MEMBERS), ``small-N`` (N+1 bytes)."""
    with temporary_bucket(pt_endpoint, "gb") as bucket:
        bucket.put_object("big.bin", BIG)
        bucket.put_object("shard.tar", make_tar(MEMBERS))
        for i in range(4):
            bucket.put_object(f"small-{i}", bytes([i]) * (i + 1))
        yield bucket


def target_ports(endpoint: str) -> list[int]:
    return [
        urlsplit(node["public_net"]["direct_url"]).port or 0
        for node in fetch_smap(endpoint)["tmap"].values()
    ]


def client_of(bucket: Bucket) -> Client:
    return Client(bucket.client.endpoint)


def results(
    bucket: Bucket, streaming: bool, cont_on_err: bool = True
) -> list[tuple[MossOut, bytes]]:
    batch = client_of(bucket).batch(bucket=bucket, streaming_get=streaming, cont_on_err=cont_on_err)
    batch.add("small-2")
    batch.add("shard.tar", archpath="dir/k2.jpg")
    batch.add("big.bin", start=100, length=50)
    batch.add("big.bin", start=49_990, length=-1)
    batch.add("shard.tar", archpath="k1.jpg", start=10, length=20)
    batch.add("small-0", opaque=b"tag")
    batch.add("missing-object")
    return list(batch.get())


EXPECTED = [
    b"\x02" * 3,
    MEMBERS["dir/k2.jpg"],
    BIG[100:150],
    BIG[49_990:],
    MEMBERS["k1.jpg"][10:30],
    b"\x00",
    b"",
]


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "multipart"])
def test_objects_archpaths_ranges_and_a_missing_entry_come_back_in_request_order(
    mixed_bucket: Bucket, streaming: bool
) -> None:
    got = results(mixed_bucket, streaming)
    assert [data for _, data in got] == EXPECTED
    assert [out.size for out, _ in got] == [len(data) for data in EXPECTED]
    assert [bool(out.err_msg) for out, _ in got] == [False] * 6 + [True]
    assert got[1][0].archpath == "dir/k2.jpg" and got[5][0].opaque == b"tag"


def test_streaming_and_multipart_forms_give_identical_bytes(mixed_bucket: Bucket) -> None:
    streamed = [data for _, data in results(mixed_bucket, True)]
    multipart = [data for _, data in results(mixed_bucket, False)]
    assert streamed == multipart == EXPECTED


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "multipart"])
def test_a_gzipped_archive_gives_the_same_bytes(mixed_bucket: Bucket, streaming: bool) -> None:
    batch = client_of(mixed_bucket).batch(
        bucket=mixed_bucket, output_format=".tgz", streaming_get=streaming
    )
    batch.add("small-2").add("shard.tar", archpath="dir/k2.jpg").add("big.bin")
    assert [data for _, data in batch.get()] == [b"\x02" * 3, MEMBERS["dir/k2.jpg"], BIG]


def test_multipart_metadata_carries_the_servers_error_for_a_missing_entry(
    mixed_bucket: Bucket,
) -> None:
    out, data = results(mixed_bucket, streaming=False)[-1]
    assert data == b""
    assert "missing-object" in out.err_msg and "does not exist" in out.err_msg


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "multipart"])
def test_missing_object_without_continue_on_error_raises_object_not_found_naming_it(
    mixed_bucket: Bucket, streaming: bool
) -> None:
    batch = client_of(mixed_bucket).batch(
        ["small-0", "no-such-object", "small-1"],
        bucket=mixed_bucket,
        streaming_get=streaming,
        cont_on_err=False,
    )
    with pytest.raises(ObjectNotFound, match="no-such-object") as caught:
        list(batch.get())
    assert "GetBatch of 3 entries" in str(caught.value)


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "multipart"])
def test_more_missing_entries_than_the_soft_error_limit_raise_a_typed_error(
    mixed_bucket: Bucket, streaming: bool
) -> None:
    # AIStore v1.5.0 cmn/config.go: get_batch.max_soft_errs defaults to 8 per request.
    names = ["small-0"] + [f"absent-{i}" for i in range(10)] + ["small-1"]
    batch = client_of(mixed_bucket).batch(names, bucket=mixed_bucket, streaming_get=streaming)
    with pytest.raises(GetBatchTooManyMissing, match="max_soft_errs"):
        list(batch.get())


def test_eight_missing_entries_are_within_the_limit(mixed_bucket: Bucket) -> None:
    names = ["small-0"] + [f"absent-{i}" for i in range(8)] + ["small-1"]
    got = list(client_of(mixed_bucket).batch(names, bucket=mixed_bucket).get())
    assert [data for _, data in got] == [b"\x00"] + [b""] * 8 + [b"\x01\x01"]


def test_the_reply_comes_from_a_target_the_proxy_redirected_to(mixed_bucket: Bucket) -> None:
    endpoint = mixed_bucket.client.endpoint
    targets = {node["public_net"]["direct_url"] for node in fetch_smap(endpoint)["tmap"].values()}
    batch = client_of(mixed_bucket).batch(["small-0"], bucket=mixed_bucket)
    assert [data for _, data in batch.get()] == [b"\x00"]
    assert batch.served_by in targets and batch.served_by != endpoint


def test_colocation_hint_gives_the_same_results(mixed_bucket: Bucket) -> None:
    names = [f"small-{i}" for i in range(4)]
    batch = client_of(mixed_bucket).batch(
        names, bucket=mixed_bucket, colocation=Colocation.TARGET_AWARE
    )
    assert [data for _, data in batch.get()] == [bytes([i]) * (i + 1) for i in range(4)]


def test_a_cut_reply_is_re_requested_for_the_entries_not_yet_delivered(
    mixed_bucket: Bucket,
) -> None:
    endpoint = mixed_bucket.client.endpoint
    ports = target_ports(endpoint)
    names = ["big.bin", "small-1", "big.bin", "small-3"]
    # Reply 1 of whichever target assembles is cut 70,000 bytes in: inside the 2nd big.bin.
    with cluster_link(
        urlsplit(endpoint).port or 0, ports, LinkFaults(body_cuts=(BodyCut(1, 70_000),))
    ) as link:
        client = Client(link.url, retries=2)
        batch = client.batch(names, bucket=client.bucket(mixed_bucket.name))
        got = [data for _, data in batch.get()]
        assert link.bodies_cut == 1
    assert got == [BIG, b"\x01\x01", BIG, b"\x03" * 4]
    assert client.request_client.retries_made == 1


def test_a_reply_cut_every_time_raises_interrupted_naming_batch_node_and_offset(
    mixed_bucket: Bucket,
) -> None:
    endpoint = mixed_bucket.client.endpoint
    ports = target_ports(endpoint)
    cuts = tuple(BodyCut(n, 20_000) for n in range(1, 8))
    with cluster_link(urlsplit(endpoint).port or 0, ports, LinkFaults(body_cuts=cuts)) as link:
        client = Client(link.url, retries=1)
        batch = client.batch(["small-0", "big.bin"], bucket=client.bucket(mixed_bucket.name))
        with pytest.raises(GetBatchInterrupted) as caught:
            list(batch.get())
    message = str(caught.value)
    assert "GetBatch of 2 entries" in message and "big.bin" in message
    assert "byte offset" in message and batch.served_by in message
    assert "1 re-requests made" in message


# Runs in a subprocess; prints peak RSS before/after (bytes) and the bytes received. VmHWM,
# not ru_maxrss: a child's ru_maxrss starts at its parent's peak (Linux keeps it across fork
# and exec), which would hide the growth measured here.
MEASURE = textwrap.dedent(
    """
    import json, re, sys
    from aisref.client import Client

    def peak_rss():
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) * 1024

    endpoint, bucket, name, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = Client(endpoint)
    batch = client.batch([name] * repeat, bucket=client.bucket(bucket))
    before = peak_rss()
    total = sum(len(data) for _, data in batch.get())
    after = peak_rss()
    print(json.dumps({"before": before, "after": after, "bytes": total}))
    """
)


@pytest.mark.timeout(120)
def test_a_large_streaming_batch_is_read_in_bounded_memory(pt_endpoint: str) -> None:
    member = os.urandom(4 << 20)
    repeat = 48  # 192 MiB of batch from one 4 MiB object
    with temporary_bucket(pt_endpoint, "gbrss") as bucket:
        bucket.put_object("four-mib.bin", member)
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, pt_endpoint, bucket.name, "four-mib.bin", str(repeat)],
            capture_output=True,
            text=True,
            timeout=100,
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    measured = json.loads(done.stdout)
    assert measured["bytes"] == repeat * len(member)
    growth = measured["after"] - measured["before"]
    assert growth < 32 << 20, f"peak RSS grew {growth / 2**20:.1f} MiB for a 192 MiB batch"


# -- datasets ------------------------------------------------------------------------------


def test_batch_iter_dataset_matches_the_official_sample_for_sample(
    objects_bucket: ObjectsBucket,
) -> None:
    import_official_pytorch()  # the peer, a dev dependency
    from aistore.pytorch.batch_iter_dataset import AISBatchIterDataset as OfficialDataset
    from aistore.sdk import Client as OfficialClient

    theirs_client = OfficialClient(objects_bucket.endpoint)
    theirs = list(
        OfficialDataset(theirs_client.bucket(objects_bucket.name), theirs_client, max_batch_size=20)
    )
    ours_client = Client(objects_bucket.endpoint)
    ours = list(
        AISBatchIterDataset(ours_client.bucket(objects_bucket.name), ours_client, max_batch_size=20)
    )
    assert ours == theirs
    assert dict(ours) == objects_bucket.contents


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "multipart"])
def test_batch_iter_dataset_with_continue_on_error_skips_an_object_deleted_since_listing(
    pt_endpoint: str, streaming: bool
) -> None:
    with temporary_bucket(pt_endpoint, "gbdel") as bucket:
        for i in range(5):
            bucket.put_object(f"o{i}", bytes([i]))
        client = Client(pt_endpoint)
        dataset = AISBatchIterDataset(
            client.bucket(bucket.name),
            client,
            max_batch_size=3,
            streaming=streaming,
            cont_on_err=True,
        )
        bucket.object("o1").delete()
        assert list(dataset) == [("o0", b"\x00"), ("o2", b"\x02"), ("o3", b"\x03"), ("o4", b"\x04")]
        strict = AISBatchIterDataset(client.bucket(bucket.name), client, streaming=streaming)
        bucket.object("o3").delete()
        with pytest.raises(ObjectNotFound, match="o3"):
            list(strict)


def count_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTTP hop's URL path from now on (the proxy's and, after a redirect, the target's)."""
    paths: list[str] = []
    original = RequestClientClass._hop

    def counting(self: RequestClient, method: str, url: str, *args: object, **kw: object) -> object:
        paths.append(f"{method} {urlsplit(url).path}")
        return original(self, method, url, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(RequestClientClass, "_hop", counting)
    return paths


def test_map_dataset_getitems_sends_one_get_batch_per_batch_and_matches_getitem(
    objects_bucket: ObjectsBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = AISMapDataset(objects_bucket.bucket())
    batches = [[5, 0, 59, 5], list(range(10, 42)), [3, 1]]
    hops = count_hops(monkeypatch)
    got = [dataset.__getitems__(indices) for indices in batches]
    gb_requests = [hop for hop in hops if hop == "GET /v1/ml/moss"]  # the proxy hop
    assert len(gb_requests) == len(batches)
    assert not [hop for hop in hops if "/v1/objects/" in hop]
    monkeypatch.undo()
    assert got == [[dataset[i] for i in indices] for indices in batches]


def test_shard_map_dataset_returns_every_sample_by_archpath_in_one_request_per_batch(
    shards_bucket: ShardsBucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = AISShardMapDataset(shards_bucket.bucket())
    every_field = {ext for fields in shards_bucket.samples.values() for ext in fields}
    expected = {key: dict.fromkeys(every_field, b"") | fields  # b"" where a sample has none
                for (_, key), fields in shards_bucket.samples.items()}
    assert len(dataset) == len(expected)
    hops = count_hops(monkeypatch)
    batch = dataset.__getitems__(list(range(len(dataset)))[::-1])
    assert [hop for hop in hops if "/v1/ml/moss" in hop].count("GET /v1/ml/moss") == 1
    assert not [hop for hop in hops if "/v1/objects/" in hop]  # no shard downloaded
    monkeypatch.undo()
    assert dict(batch) == expected
    assert [key for key, _ in batch] == [s.key for s in dataset.sample_list()][::-1]
    one_by_one = [dataset[i] for i in range(len(dataset))]
    assert one_by_one == batch[::-1]
    key = "s03-02"
    assert dataset[dataset.index_of(key)] == (key, expected[key])


def test_shard_map_samples_carry_every_field_so_collation_keeps_them(pt_endpoint: str) -> None:
    from torch.utils.data import DataLoader

    shard = make_shard([("a.jpg", b"A"), ("b.jpg", b"B"), ("b.cls", b"1"), ("c.jpg", b"C"),
                        ("c.cls", b"2")])
    with temporary_bucket(pt_endpoint, "varied-fields") as bucket:
        bucket.put_object("s.tar", shard)
        dataset = AISShardMapDataset(bucket)
        assert dataset[0] == ("a", {"cls": b"", "jpg": b"A"})
        (keys, fields), = DataLoader(dataset, batch_size=3)  # __getitems__: one GetBatch
    assert list(keys) == ["a", "b", "c"]
    assert fields == {"cls": [b"", b"1", b"2"], "jpg": [b"A", b"B", b"C"]}
