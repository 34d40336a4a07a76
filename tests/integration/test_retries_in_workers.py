"""Retries made in DataLoader workers are counted in the main process, for every aisref kind.

A FaultyTcpProxy in front of the primary proxy drops every N-th HTTP request it sees. It sees
listings and the first hop of every GET (object bytes come from the targets directly, around
it), and each dropped request costs exactly one retry. So the retries counted in the main
process must equal the requests dropped - and since drops also happen during the epoch, whose
reads all run in the 2 workers, the equality cannot hold if the workers' retries are missed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import pytest

from aisbench.datagen.self_checking import FaultData, delete_fault_data, put_fault_data
from aisbench.faults.id_loaders import DATASET_KINDS, dataset_kind, id_loader
from aisbench.faults.tcp_proxy import FaultyTcpProxy, LinkFaults
from aisbench.runner.retries import RetryCounter
from aisref.client import RequestClient

pytestmark = pytest.mark.integration

NUM_WORKERS = 2
# Every 4th request: drops happen in the workers for every kind (the first GETs are requests
# 2..4 after a one-page listing), yet one request is never dropped past its 3 retries (the
# URL-configured kinds use Client defaults).
DROP_EVERY = 4


@pytest.fixture(scope="module")
def data(ais_endpoint: str) -> Iterator[FaultData]:
    made = put_fault_data(ais_endpoint, f"retries-wk-{uuid.uuid4().hex[:8]}", 24, 4, 3)
    yield made
    delete_fault_data(made)


def _port(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port is not None
    return port


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_retries_made_in_forked_workers_equal_the_requests_the_link_dropped(
    data: FaultData, kind: str,
) -> None:
    with FaultyTcpProxy(_port(data.endpoint), LinkFaults(drop_every=DROP_EVERY)) as link:
        client = RequestClient(link.url, timeout=(5.0, 30.0), retries=3)
        loader = id_loader(kind, replace(data, endpoint=link.url), client, NUM_WORKERS)
        dropped_while_listing = link.requests_dropped  # datasets list at construction
        window = RetryCounter(loader.loader)  # what the runner does around a window
        before = window.total()
        ids = list(loader)
        dropped, seen = link.requests_dropped, link.requests_seen
    # exactly once, bytes checked
    assert Counter(ids) == Counter(data.expected_ids(dataset_kind(kind).unit))
    assert dropped > dropped_while_listing, f"no drop during the epoch ({seen} requests seen)"
    assert window.sees_workers and window.clients_found >= 1
    assert window.total() - before == dropped - dropped_while_listing
    assert loader.retries_made() == dropped
