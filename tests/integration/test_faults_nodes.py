"""Node faults on a real 3-target cluster: every aisref dataset, 0 and 2 DataLoader workers.

The rule (aisbench.faults.outcome): an epoch either completes with every sample exactly once
or stops with a typed error naming the object and the node - never a silent gap or duplicate.
Each run writes its outcome to reports/faults/ for the faults report.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import pytest

from aisbench.faults.datasets import DATASET_KINDS, URL_CONFIGURED_KINDS, id_loader
from aisbench.faults.epoch_run import judge, observe_epoch
from aisbench.faults.node_control import owner_url
from aisbench.faults.outcome import COMPLETED, TYPED_ERROR, FaultOutcome
from aisref.client import Bucket, ClusterUnreachable, ObjectReadInterrupted, RequestClient
from tests.integration.fault_fixtures import FaultCluster, fault_cluster, record

__all__ = ["fault_cluster"]  # the fixture, imported for pytest

pytestmark = pytest.mark.integration

INJECT_AFTER = 8  # samples delivered before the fault: mid-epoch, with data still to come
# Down this long before the restart begins, so reads meet the dead node and must retry (a
# fresh aisnode listens within ~0.1 s and is ready within ~1-2 s).
RESTART_AFTER_S = 1.0
WORKERS = (0, 2)


def patient(endpoint: str) -> RequestClient:
    """Rides out a restart (~1-2 s): up to 8 retries within 20 s of backoff."""
    return RequestClient(endpoint, timeout=(2.0, 10.0), retries=8, retry_budget=20.0)


def impatient(endpoint: str) -> RequestClient:
    """Gives up fast: 1 retry."""
    return RequestClient(endpoint, timeout=(2.0, 5.0), retries=1, retry_budget=2.0)


def _victim(fc: FaultCluster, kind: str) -> str:
    """The target holding the dataset's last object or shard: read after the fault."""
    data = fc.data
    if kind in ("AISShardReader", "AISMultiShardStream"):
        bucket, name = data.shards_bucket, data.shard_names[-1]
    else:
        bucket, name = data.objects_bucket, data.object_names[-1]
    url = owner_url(fc.endpoint, bucket, name)
    return next(n for n in fc.control.target_ids() if fc.control.public_url(n) == url)


def _run(fc: FaultCluster, fault: str, kind: str, workers: int,
         make_client: Callable[[str], RequestClient], inject: Callable[[], None],
         notes: str = "") -> FaultOutcome:
    loader = id_loader(kind, fc.data, make_client(fc.endpoint), workers)
    observation = observe_epoch(loader, INJECT_AFTER, inject)
    nodes = [fc.control.public_url(n) for n in fc.control.target_ids()]
    if kind in URL_CONFIGURED_KINDS:
        notes = (notes + "; " if notes else "") + "takes a URL: Client defaults (3 retries)"
    return record(judge(observation, fault=fault, dataset=kind, num_workers=workers,
                        expected=fc.data.expected_ids(kind),
                        object_labels=fc.data.object_labels(kind), node_urls=nodes,
                        retries=loader.retries_made(), notes=notes))


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_target_killed_and_restarted_mid_epoch_loses_and_repeats_nothing(
    fault_cluster: FaultCluster, kind: str, workers: int
) -> None:
    fc = fault_cluster
    victim = _victim(fc, kind)
    restarts: list[threading.Thread] = []

    def restart_later() -> None:
        time.sleep(RESTART_AFTER_S)
        fc.control.restart(victim)

    def kill_then_restart() -> None:
        fc.control.kill(victim)
        thread = threading.Thread(target=restart_later, daemon=True)
        thread.start()
        restarts.append(thread)

    try:
        outcome = _run(fc, "target SIGKILL, restarted after 1 s", kind, workers, patient,
                       kill_then_restart, notes=f"killed {victim}")
    finally:
        for thread in restarts:
            thread.join(timeout=60)
        fc.heal()
    assert outcome.outcome in (COMPLETED, TYPED_ERROR), outcome


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_target_killed_for_the_rest_of_the_epoch_stops_with_error_naming_object_and_node(
    fault_cluster: FaultCluster, kind: str, workers: int
) -> None:
    fc = fault_cluster
    victim = _victim(fc, kind)
    try:
        outcome = _run(fc, "target SIGKILL, down until the epoch ends", kind, workers,
                       impatient, lambda: fc.control.kill(victim), notes=f"killed {victim}")
    finally:
        fc.heal()
    assert outcome.outcome == TYPED_ERROR, outcome
    assert outcome.error_type in ("ClusterUnreachable", "ObjectReadInterrupted"), outcome


def _object_on(fc: FaultCluster, node_id: str) -> str:
    url = fc.control.public_url(node_id)
    data = fc.data
    return next(n for n in data.object_names
                if owner_url(fc.endpoint, data.objects_bucket, n) == url)


@pytest.mark.timeout(60)
def test_frozen_target_fails_within_the_timeout_naming_object_and_node_then_recovers(
    fault_cluster: FaultCluster,
) -> None:
    fc = fault_cluster
    fc.heal()  # the map settled: a late rejoin must not move the object under the test
    victim = fc.control.target_ids()[0]
    name = _object_on(fc, victim)
    client = RequestClient(fc.endpoint, timeout=(1.0, 1.5), retries=1, retry_budget=1.0)
    obj = Bucket(client, fc.data.objects_bucket).object(name)
    # Worst case the policy allows: 2 attempts x (connect + read) + 1 backoff sleep.
    bound_s = 2 * (1.0 + 1.5) + client.retry_policy.delay(0)
    fc.control.send(victim, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(ClusterUnreachable) as info:
            obj.get_reader().read_all()
            owner = owner_url(fc.endpoint, fc.data.objects_bucket, name)  # for the failure
            pytest.fail(f"read of {name} succeeded while {victim} (pid "
                        f"{fc.control.pid(victim)}) was frozen; the proxy now sends it to "
                        f"{owner}")
        failed_after = time.monotonic() - started
    finally:
        fc.control.send(victim, signal.SIGCONT)
    message = info.value.message
    fc.control.wait_serving(victim, timeout_s=30.0)
    recovered = obj.get_reader().read_all().startswith(name.encode())
    record(FaultOutcome(fault="target SIGSTOP, then SIGCONT", dataset="Object.get_reader",
                        num_workers=0, outcome=TYPED_ERROR, expected=1, seen=0, duplicates=0,
                        missing=1, duration_s=round(failed_after, 3),
                        error_type="ClusterUnreachable", error=message[:400],
                        retries=client.retries_made,
                        notes="after SIGCONT the same GET succeeded" if recovered
                        else "after SIGCONT the same GET still FAILED"))
    assert f"ais://{fc.data.objects_bucket}/{name}" in message
    assert fc.control.public_url(victim).split("://")[1] in message
    assert "timed out" in message
    assert failed_after < bound_s + 2.0  # the configured bound, plus scheduling slack
    assert recovered


@pytest.mark.timeout(90)
def test_target_killed_while_an_object_streams_raises_read_interrupted_naming_both(
    fault_cluster: FaultCluster,
) -> None:
    fc = fault_cluster
    client = RequestClient(fc.endpoint, timeout=(2.0, 10.0), retries=1)
    bucket = Bucket(client, fc.data.objects_bucket)
    name = "big-stream.bin"
    size = 64 * 2**20  # far more than loopback socket buffers hold: the body is mid-flight
    bucket.put_object(name, bytes(size))
    victim_url = owner_url(fc.endpoint, bucket.name, name)
    victim = next(n for n in fc.control.target_ids() if fc.control.public_url(n) == victim_url)
    received = 0
    try:
        started = time.monotonic()
        with pytest.raises(ObjectReadInterrupted) as info, \
                bucket.object(name).get_reader(chunk_size=2**20).raw() as body:
            received += len(body.read(2**20))
            fc.control.kill(victim)
            while chunk := body.read(2**20):
                received += len(chunk)
        failed_after = time.monotonic() - started
    finally:
        fc.heal()
        bucket.object(name).delete()
    message = info.value.message
    record(FaultOutcome(
        fault="target SIGKILL while an object streams", dataset="ObjectReader.raw",
        num_workers=0, outcome=TYPED_ERROR, expected=size, seen=received, duplicates=0,
        missing=size - received, duration_s=round(failed_after, 3),
        error_type="ObjectReadInterrupted", error=message[:400],
        notes="expected/seen/missing in bytes, not samples"))
    assert f"ais://{bucket.name}/{name}" in message
    assert victim_url in message
    assert received < size
