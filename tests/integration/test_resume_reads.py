"""A body cut mid-stream on the real cluster is resumed (issue #13, item 1).

Every hop crosses a faulty link on 127.0.0.1 (aisbench.faults.tcp_proxy.cluster_link): one in
front of the primary proxy, whose redirects it rewrites to one link in front of each target,
and those target links cut chosen replies after a chosen number of body bytes. A read must
then deliver exactly the bytes that were written - every object and sample once - with one
Range GET per cut, or stop with a typed error naming the object, the node and the offset.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from torch.utils.data import DataLoader

from aisbench.cluster.health import fetch_smap
from aisbench.datagen.self_checking import (
    FaultData,
    content_for,
    delete_fault_data,
    make_shard,
    put_fault_data,
)
from aisbench.faults.tcp_proxy import BodyCut, ClusterLink, LinkFaults, cluster_link
from aisref.client import (
    ArchiveConfig,
    Bucket,
    DataShard,
    ObjectChangedDuringRead,
    ObjectReader,
    ObjectReadInterrupted,
    RequestClient,
)
from aisref.pytorch import AISIterDataset, AISMapDataset, AISMultiShardStream, AISShardReader
from aisref.pytorch.tensor_payloads import read_tensor

pytestmark = pytest.mark.integration

BIG = os.urandom(100_000)  # bytes of big.bin
N_OBJECTS, N_SHARDS, SAMPLES_PER_SHARD = 6, 4, 5


@dataclass(frozen=True)
class ResumeData:
    """Self-checking objects and shards (FaultData), plus big.bin and shard.tar in ``single``."""

    data: FaultData
    single: str  # bucket name
    primary_port: int
    target_ports: tuple[int, ...]


@pytest.fixture(scope="module")
def resume_data(ais_endpoint: str) -> Iterator[ResumeData]:
    prefix = f"resume-{uuid.uuid4().hex[:8]}"
    data = put_fault_data(ais_endpoint, prefix, N_OBJECTS, N_SHARDS, SAMPLES_PER_SHARD)
    single = Bucket(RequestClient(ais_endpoint), f"{prefix}-one").create()
    single.put_object("big.bin", BIG)
    single.put_object("shard.tar", make_shard(0, 10)[0])
    tmap = fetch_smap(ais_endpoint)["tmap"].values()
    ports = tuple(urlsplit(node["public_net"]["direct_url"]).port for node in tmap)
    primary = urlsplit(ais_endpoint).port
    assert primary is not None and None not in ports
    try:
        yield ResumeData(data, single.name, primary, ports)
    finally:
        delete_fault_data(data)
        single.delete(missing_ok=True)


def link_cutting(resume: ResumeData, *cuts: BodyCut) -> AbstractContextManager[ClusterLink]:
    return cluster_link(resume.primary_port, resume.target_ports, LinkFaults(body_cuts=cuts))


def every_first_reply_cut(reads: int, offsets: tuple[int, ...]) -> tuple[BodyCut, ...]:
    """Replies 1, 3, 5, ... of a target link cut (at the offsets in turn): when reads are one
    after another, each read's first reply is cut and its resume passes whole."""
    return tuple(BodyCut(2 * i + 1, offsets[i % len(offsets)]) for i in range(reads))


# -- one object --------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_issue_reproduction_read_cut_after_5000_bytes_succeeds_with_two_requests(
    resume_data: ResumeData,
) -> None:
    with link_cutting(resume_data, BodyCut(1, 5000)) as link:
        client = RequestClient(link.url, retries=3)
        data = Bucket(client, resume_data.single).object("big.bin").get_reader().read_all()
    assert data == BIG
    assert link.bodies_cut == 1
    assert link.primary.requests_seen == 2  # the GET and its resume, each redirected...
    assert link.target_requests == 2  # ...to the target: 2 requests, no more
    assert client.retries_made == 1


@pytest.mark.timeout(30)
def test_raw_stream_cut_three_times_delivers_every_byte_once(resume_data: ResumeData) -> None:
    with link_cutting(resume_data, BodyCut(1, 1), BodyCut(2, 30_000), BodyCut(3, 512)) as link:
        client = RequestClient(link.url, retries=3)
        reader = Bucket(client, resume_data.single).object("big.bin").get_reader(chunk_size=4096)
        with reader.raw() as stream:
            data = stream.read()
    assert data == BIG
    assert (link.bodies_cut, link.target_requests, client.retries_made) == (3, 4, 3)


@pytest.mark.timeout(30)
def test_cut_in_a_user_byte_range_resumes_inside_that_range(resume_data: ResumeData) -> None:
    with link_cutting(resume_data, BodyCut(1, 5000)) as link:
        client = RequestClient(link.url, retries=3)
        reader = Bucket(client, resume_data.single).object("big.bin").get_reader(
            byte_range=(10_000, 59_999)
        )
        data = b"".join(reader)
    assert data == BIG[10_000:60_000]
    assert (link.bodies_cut, link.target_requests) == (1, 2)


@pytest.mark.timeout(30)
def test_object_overwritten_before_the_resume_raises_changed_naming_it(
    resume_data: ResumeData, ais_endpoint: str,
) -> None:
    name = f"changing-{uuid.uuid4().hex[:6]}.bin"
    Bucket(RequestClient(ais_endpoint), resume_data.single).put_object(name, BIG)
    with link_cutting(resume_data, BodyCut(1, 3000)) as link:
        client = RequestClient(link.url, retries=3)
        reader = Bucket(client, resume_data.single).object(name).get_reader(chunk_size=1000)
        received = bytearray()
        with pytest.raises(ObjectChangedDuringRead) as info, reader.raw() as stream:
            received += stream.read(1000)  # the cut at 3000 is ahead, not yet seen
            Bucket(RequestClient(ais_endpoint), resume_data.single).put_object(name, BIG[::-1])
            while chunk := stream.read(1000):
                received += chunk
    assert bytes(received) == BIG[:3000]  # the old version's bytes only
    message = info.value.message
    assert f"ais://{resume_data.single}/{name} changed while it was being read" in message
    assert "byte offset 3000" in message
    assert "Ais-Version '1' -> '2'" in message  # what the real server sends, and changes
    assert link.target_requests == 2


@pytest.mark.timeout(30)
def test_cut_on_every_reply_stops_after_the_retries_naming_object_node_and_offset(
    resume_data: ResumeData,
) -> None:
    with link_cutting(resume_data, *(BodyCut(n, 7000 * n) for n in range(1, 10))) as link:
        client = RequestClient(link.url, retries=2)
        with pytest.raises(ObjectReadInterrupted) as info:
            Bucket(client, resume_data.single).object("big.bin").get_reader().read_all()
    target_link = next(t for t in link.targets.values() if t.requests_seen)
    message = info.value.message
    assert f"reading ais://{resume_data.single}/big.bin from node {target_link.url}" in message
    assert "at byte offset 42000 of the object" in message  # 7000 + 14000 + 21000
    assert "2 retries made (the client's retries=2)" in message
    assert link.target_requests == 3


def tensor_bytes(reader: ObjectReader) -> bytes:
    return read_tensor(reader).numpy().tobytes()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("read", [ObjectReader.read_all, tensor_bytes], ids=["bytes", "tensor"])
def test_archive_member_read_all_is_read_again_whole(
    resume_data: ResumeData, read: Callable[[ObjectReader], bytes]
) -> None:
    member = "s00-k07.txt"
    with link_cutting(resume_data, BodyCut(1, 1000)) as link:
        client = RequestClient(link.url, retries=3)
        reader = Bucket(client, resume_data.single).object("shard.tar").get_reader(
            archive_config=ArchiveConfig(archpath=member)
        )
        data = read(reader)
    assert data == content_for(member)
    assert (link.bodies_cut, link.target_requests) == (1, 2)
    assert "Ais-Version" not in reader.response_headers  # no guard: why no Range resume


@pytest.mark.timeout(30)
def test_read_into_a_tensor_cut_twice_is_resumed_into_it_byte_for_byte(
    resume_data: ResumeData,
) -> None:
    with link_cutting(resume_data, BodyCut(1, 5000), BodyCut(2, 30_000)) as link:
        client = RequestClient(link.url, retries=3)
        tensor = read_tensor(Bucket(client, resume_data.single).object("big.bin").get_reader())
    assert tensor.numpy().tobytes() == BIG
    assert (link.bodies_cut, link.target_requests, client.retries_made) == (2, 3, 2)


def test_real_server_refuses_a_range_read_of_an_archive_member(
    resume_data: ResumeData, ais_endpoint: str,
) -> None:
    reply = requests.get(
        f"{ais_endpoint}/v1/objects/{resume_data.single}/shard.tar",
        params={"archpath": "s00-k07.txt"}, headers={"Range": "bytes=10-"}, timeout=10,
    )
    assert reply.status_code == 400
    assert "cannot range-read archived content" in reply.text


# -- datasets ----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["AISMapDataset", "AISIterDataset"])
def test_object_datasets_deliver_every_object_once_through_cut_bodies(
    resume_data: ResumeData, kind: str,
) -> None:
    data = resume_data.data
    with link_cutting(resume_data, *every_first_reply_cut(N_OBJECTS, (1000, 4000))) as link:
        client = RequestClient(link.url, retries=3)
        bucket = Bucket(client, data.objects_bucket)
        if kind == "AISMapDataset":
            map_dataset = AISMapDataset(bucket)
            items = [map_dataset[i] for i in range(len(map_dataset))]
        else:
            items = list(AISIterDataset(bucket))
    assert sorted(name for name, _ in items) == sorted(data.object_names)
    assert all(payload == content_for(name) for name, payload in items)
    assert link.bodies_cut == N_OBJECTS  # each object's first reply was cut...
    assert link.target_requests == 2 * N_OBJECTS  # ...and resumed once
    assert client.retries_made == N_OBJECTS


@pytest.mark.timeout(60)
def test_shard_reader_yields_every_sample_once_through_cut_bodies(
    resume_data: ResumeData,
) -> None:
    data = resume_data.data
    offsets = (700, 512 * 20, 512 * 9 + 37)  # in member data, on a header, inside a header
    with link_cutting(resume_data, *every_first_reply_cut(N_SHARDS, offsets)) as link:
        client = RequestClient(link.url, retries=3)
        samples = list(AISShardReader(Bucket(client, data.shards_bucket)))
    assert Counter(key for key, _ in samples) == Counter(data.sample_keys)
    for key, fields in samples:
        assert dict(fields) == {ext: content_for(f"{key}.{ext}") for ext in ("txt", "cls")}
    assert link.bodies_cut == N_SHARDS
    assert link.target_requests == 2 * N_SHARDS


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_shard_reader_in_two_dataloader_workers_yields_every_sample_once_through_cuts(
    resume_data: ResumeData,
) -> None:
    data = resume_data.data
    # The workers' replies interleave: cut the first two on each target link, wherever they
    # fall (a first reply or its resume); each cut costs one more GET, counted across workers.
    with link_cutting(resume_data, BodyCut(1, 700), BodyCut(2, 512 * 20)) as link:
        client = RequestClient(link.url, retries=3)
        loader = DataLoader(AISShardReader(Bucket(client, data.shards_bucket)),
                            batch_size=None, num_workers=2)
        samples = [sample for sample in loader]
    assert Counter(key for key, _ in samples) == Counter(data.sample_keys)
    for key, fields in samples:
        assert dict(fields) == {ext: content_for(f"{key}.{ext}") for ext in ("txt", "cls")}
    assert link.bodies_cut >= 2
    assert link.target_requests == N_SHARDS + link.bodies_cut
    assert client.retries_made == link.bodies_cut


@pytest.mark.timeout(60)
def test_multishard_stream_zips_every_member_once_through_cut_bodies(
    resume_data: ResumeData,
) -> None:
    data = resume_data.data
    # Two streams of the same shards, read in step: replies interleave, so cuts land where
    # they land; the count of requests still says each cut cost one resume.
    cuts = tuple(BodyCut(n, 3000 + 1000 * n) for n in range(1, 2 * N_SHARDS, 2))
    with link_cutting(resume_data, *cuts) as link:
        source = DataShard(link.url, data.shards_bucket)
        tuples = list(AISMultiShardStream([source, source]))
    members = [first for first, _ in tuples]
    assert all(first == second for first, second in tuples)
    assert Counter(members) == Counter(content_for(name) for name in data.member_names)
    assert link.bodies_cut >= 1
    assert link.target_requests == 2 * N_SHARDS + link.bodies_cut
