"""A slow and lossy network: kernel netem where it exists, a userspace faulty proxy anyway.

The userspace proxy (aisbench.faults.tcp_proxy) sits in front of the primary proxy, so it
covers listings, bucket calls and the first hop of every object request, but not object bytes:
AIStore redirects GETs to the target's own URL, around it. netem in a namespace of our own
covers every hop; it needs the kernel's sch_netem module.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aisbench.cluster.binaries import find_binary
from aisbench.datagen.self_checking import FaultData, delete_fault_data, put_fault_data
from aisbench.faults.network_faults import netem_epoch, slow_lossy_link
from aisbench.faults.tcp_proxy import FaultyTcpProxy, LinkFaults
from aisbench.results import COMPLETED, SKIPPED, TYPED_ERROR_NODE, FaultOutcome
from aisref.client import Bucket, ClusterUnreachable, RequestClient
from tests.integration.fault_fixtures import record

pytestmark = pytest.mark.integration

N_OBJECTS = 24


@pytest.fixture(scope="module")
def net_data(ais_endpoint: str) -> Iterator[FaultData]:
    data = put_fault_data(ais_endpoint, f"faults-net-{uuid.uuid4().hex[:8]}", N_OBJECTS, 4, 3)
    yield data
    delete_fault_data(data)


def _port(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port is not None
    return port


@pytest.mark.timeout(60)
def test_listing_over_a_slow_link_that_drops_every_third_request_is_complete(
    net_data: FaultData,
) -> None:
    with FaultyTcpProxy(_port(net_data.endpoint), LinkFaults(0.02, drop_every=3)) as link:
        client = RequestClient(link.url, timeout=(2.0, 5.0), retries=4)
        bucket = Bucket(client, net_data.objects_bucket)
        names = [e.name for e in bucket.list_objects_iter(page_size=5)]
    assert names == sorted(net_data.object_names)
    assert link.requests_dropped >= 1
    assert client.retries_made == link.requests_dropped


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["AISMapDataset", "AISIterDataset", "AISShardReader"])
def test_epoch_through_a_lossy_first_hop_is_exactly_once_and_counts_its_retries(
    net_data: FaultData, kind: str,
) -> None:
    link = slow_lossy_link(net_data, [], kind, 0, LinkFaults(0.01, drop_every=3))
    outcome = record(link.outcome)
    assert outcome.outcome == COMPLETED, outcome
    assert outcome.retries == link.requests_dropped >= 1


@pytest.mark.timeout(30)
def test_get_that_is_always_dropped_is_retried_a_bounded_number_of_times(
    net_data: FaultData,
) -> None:
    with FaultyTcpProxy(_port(net_data.endpoint), LinkFaults(drop_every=1)) as link:
        client = RequestClient(link.url, timeout=(2.0, 5.0), retries=3, retry_budget=5.0)
        name = net_data.object_names[0]
        with pytest.raises(ClusterUnreachable, match=f"ais://{net_data.objects_bucket}/{name}"):
            Bucket(client, net_data.objects_bucket).object(name).get_reader().read_all()
    assert link.requests_seen == 4  # the first attempt and 3 retries, no more
    assert client.retries_made == 3


@pytest.mark.timeout(30)
def test_non_idempotent_request_is_never_retried(net_data: FaultData) -> None:
    with FaultyTcpProxy(_port(net_data.endpoint), LinkFaults(drop_every=1)) as link:
        client = RequestClient(link.url, timeout=(2.0, 5.0), retries=3)
        with pytest.raises(ClusterUnreachable):
            Bucket(client, f"faults-net-never-{uuid.uuid4().hex[:8]}").create()  # a POST
    assert link.requests_seen == 1
    assert client.retries_made == 0


@pytest.mark.timeout(30)
def test_link_slower_than_the_read_timeout_fails_as_timed_out_after_bounded_retries(
    net_data: FaultData,
) -> None:
    with FaultyTcpProxy(_port(net_data.endpoint), LinkFaults(delay_s=1.5)) as link:
        client = RequestClient(link.url, timeout=(1.0, 0.5), retries=1, retry_budget=1.0)
        started = time.monotonic()
        with pytest.raises(ClusterUnreachable, match="timed out") as info:
            Bucket(client, net_data.objects_bucket).list_objects()
        failed_after = time.monotonic() - started
    record(FaultOutcome(
        fault="1.5 s per chunk, read timeout 0.5 s (first hop)", dataset="Bucket.list_objects",
        num_workers=0, outcome=TYPED_ERROR_NODE, expected=1, seen=0,
        duplicates=0, missing=1, duration_s=round(failed_after, 3),
        error_type="ClusterUnreachable", error=info.value.message[:400],
        retries=client.retries_made))
    assert link.url in info.value.message
    assert client.retries_made == 1
    # 2 attempts x 0.5 s read timeout + one 0.2 s backoff; slack for scheduling.
    assert failed_after < 2 * 0.5 + 0.2 + 2.0


@pytest.mark.timeout(150)
def test_epoch_over_netem_delay_and_loss_in_own_namespace_is_exactly_once(
    tmp_path: Path, ais_home: Path,
) -> None:
    outcome = netem_epoch(tmp_path / "netem-cluster", find_binary("aisnode", ais_home),
                          delay_ms=20, loss_pct=2)
    if outcome.outcome == SKIPPED:
        pytest.skip(outcome.notes)
    assert record(outcome).outcome == COMPLETED, outcome


@pytest.mark.timeout(60)
def test_runner_finds_the_retries_of_an_aisref_loader_it_measures(net_data: FaultData) -> None:
    from torch.utils.data import DataLoader

    from aisbench.runner.retries import RetryCounter
    from aisbench.strategies.samples import CountedMapDataset, collate_counted
    from aisref.pytorch import AISMapDataset

    with FaultyTcpProxy(_port(net_data.endpoint), LinkFaults(drop_every=3)) as link:
        client = RequestClient(link.url, timeout=(2.0, 5.0), retries=4)
        dataset = AISMapDataset(Bucket(client, net_data.objects_bucket))
        loader = DataLoader(CountedMapDataset(dataset, None), batch_size=4,
                            collate_fn=collate_counted)
        counter = RetryCounter(loader)
        before = counter.total()
        samples = sum(batch[0] for batch in loader)
        made = counter.total() - before
    assert samples == N_OBJECTS
    assert made >= 1
    assert made + before == link.requests_dropped  # listing retries came before the window
