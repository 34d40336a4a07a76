"""Node faults on a real 3-target cluster: every aisref dataset, 0 and 2 DataLoader workers.

The rule (aisbench.faults.judge): an epoch either completes with every sample exactly once
or stops with a typed error naming the object and the node - never a silent gap or duplicate.
The faults themselves live in aisbench.faults.node_faults, shared with the ``faults`` scenario.
"""

from __future__ import annotations

import time

import pytest

from aisbench.cluster.base import ClusterError
from aisbench.cluster.health import running_jobs
from aisbench.faults.bench import FaultBench
from aisbench.faults.id_loaders import DATASET_KINDS
from aisbench.faults.node_faults import (
    freeze_then_resume,
    kill_and_restart,
    kill_for_good,
    kill_while_streaming,
)
from aisbench.results import COMPLETED, TYPED_ERROR
from tests.integration.fault_fixtures import record

pytestmark = pytest.mark.integration

WORKERS = (0, 2)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_target_killed_and_restarted_mid_epoch_loses_and_repeats_nothing(
    fault_cluster: FaultBench, kind: str, workers: int
) -> None:
    outcome = record(kill_and_restart(fault_cluster, kind, workers))
    assert outcome.outcome in (COMPLETED, TYPED_ERROR), outcome
    assert outcome.duplicates == 0


@pytest.mark.timeout(90)
@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("kind", DATASET_KINDS)
def test_target_killed_for_the_rest_of_the_epoch_stops_with_error_naming_object_and_node(
    fault_cluster: FaultBench, kind: str, workers: int
) -> None:
    outcome = record(kill_for_good(fault_cluster, kind, workers))
    assert outcome.outcome == TYPED_ERROR, outcome
    # GetBatchInterrupted (an ObjectReadInterrupted): AISMapDataset reads a batch by GetBatch.
    assert outcome.error_type in ("ClusterUnreachable", "ObjectReadInterrupted",
                                  "GetBatchInterrupted"), outcome
    assert outcome.missing > 0  # the epoch really stopped early: the fault was felt


@pytest.mark.timeout(60)
def test_frozen_target_fails_within_the_timeout_naming_object_and_node_then_recovers(
    fault_cluster: FaultBench,
) -> None:
    frozen = freeze_then_resume(fault_cluster, connect_s=1.0, read_s=1.5)
    outcome = record(frozen.outcome)
    assert outcome.error_type == "ClusterUnreachable", outcome
    assert outcome.error is not None
    assert frozen.object_url in outcome.error
    assert frozen.node_url.split("://")[1] in outcome.error
    assert "timed out" in outcome.error
    assert outcome.duration_s < frozen.bound_s + 2.0  # the configured bound, plus slack
    assert frozen.recovered
    assert outcome.outcome == TYPED_ERROR


@pytest.mark.timeout(90)
def test_target_killed_while_an_object_streams_raises_read_interrupted_naming_both(
    fault_cluster: FaultBench,
) -> None:
    outcome = record(kill_while_streaming(fault_cluster))
    assert outcome.error_type == "ObjectReadInterrupted", outcome
    assert outcome.outcome == TYPED_ERROR, outcome
    assert 0 < outcome.seen < outcome.expected


@pytest.mark.timeout(90)
def test_the_bench_turns_rebalance_off_so_a_restart_leaves_a_settled_cluster(
    fault_cluster: FaultBench,
) -> None:
    victim = fault_cluster.control.target_ids()[-1]
    fault_cluster.control.kill(victim)
    fault_cluster.heal()  # restarts it: the rejoin that starts a rebalance when it is on
    polls = []
    for _ in range(6):  # a rejoin's rebalance started within ~1.5 s when it was on
        polls.append(running_jobs(fault_cluster.endpoint, "rebalance"))
        time.sleep(0.5)
    assert polls == [[]] * 6
    assert fault_cluster.control.wait_rebalanced(timeout_s=5.0) < 5.0


def test_a_config_value_the_cluster_refuses_is_a_cluster_error_saying_why(
    fault_cluster: FaultBench,
) -> None:
    with pytest.raises(ClusterError, match=r"transport\.quiescent.*HTTP 400.*expecting"):
        fault_cluster.control.set_config({"transport.quiescent": "1s"})
