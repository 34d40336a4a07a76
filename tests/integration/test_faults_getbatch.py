"""GetBatch with a target SIGKILLed while the reply streams, on a real 3-target fault bench.

One streaming GetBatch of 64 x 1 MiB objects through aisref's `Batch`. The colocation hint
(TARGET_AWARE: the target holding most entries assembles the batch) steers the designated
target: 40 entries sit on it, 24 on one peer. The killed target holds the later entries and is
either the designated target itself (its connection to the client breaks mid-archive) or the
peer it gathers them from; it is killed right after the first entry arrives and restarted
after RESTART_AFTER_S, as the epoch faults do.

The rule: every entry delivered exactly once, in request order, with its own bytes (aisref
re-requests the entries not yet delivered), or a typed error naming the batch and a node -
never a silent gap or a duplicate; issue #12 names the error types (TYPED_ERRORS). Two ways
v1.5.0 answers were first seen to end the batch with other errors, and aisref now treats both
as breaks to re-request: the proxy's 400 "dial tcp ...: connection refused" for a dead
designated target, and a clean but short archive when a peer dies. Each outcome is kept in
this session's fault run.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aisbench.cluster.base import ClusterError
from aisbench.datagen import content_for
from aisbench.faults.bench import FaultBench
from aisbench.faults.judge import error_fields, names_object_and_node, outcome_text
from aisbench.results import COMPLETED, TYPED_ERROR, FaultOutcome
from aisref.client import AISError, Bucket, ClusterUnreachable, Colocation, RequestClient
from aisref.client.errors import (
    GetBatchIncomplete,
    GetBatchInterrupted,
    ObjectReadInterrupted,
)
from aisref.client.get_batch import Batch
from tests.integration.fault_fixtures import record

pytestmark = pytest.mark.integration

MIB = 2**20
ON_DESIGNATED, ON_PEER = 40, 24  # 64 entries; the majority decides the designated target
RESTART_AFTER_S = 1.0
TYPED_ERRORS = (GetBatchInterrupted, ObjectReadInterrupted, ClusterUnreachable)
@dataclass(frozen=True)
class BatchObjects:
    """The batch's objects: which target holds which (node ids of the fault bench)."""

    bucket: str
    designated: str
    peer: str
    on_designated: tuple[str, ...]
    on_peer: tuple[str, ...]


def _names_held_by(bench: FaultBench, bucket: str, wanted: dict[str, int]) -> dict[str, list[str]]:
    """Object names that the cluster maps to each node of ``wanted``, as many as it asks."""
    found: dict[str, list[str]] = {node: [] for node in wanted}
    for i in itertools.count():
        if all(len(found[node]) == count for node, count in wanted.items()):
            return found
        if i == 2000:
            raise ClusterError(f"2000 names gave {({n: len(v) for n, v in found.items()})} of "
                               f"{wanted} in ais://{bucket}: is a target out of the map?")
        name = f"getbatch-kill/{i:04d}.bin"
        owner = bench.owner_of(bucket, name)
        if owner in found and len(found[owner]) < wanted[owner]:
            found[owner].append(name)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def batch_objects(fault_cluster: FaultBench) -> Iterator[BatchObjects]:
    bench = fault_cluster
    bench.settle()
    bucket = bench.data.objects_bucket
    designated, peer = bench.control.target_ids()[:2]
    names = _names_held_by(bench, bucket, {designated: ON_DESIGNATED, peer: ON_PEER})
    client = Bucket(RequestClient(bench.endpoint), bucket)
    for name in names[designated] + names[peer]:
        client.put_object(name, content_for(name, MIB))
    yield BatchObjects(bucket, designated, peer, tuple(names[designated]), tuple(names[peer]))
    bench.heal()
    for name in names[designated] + names[peer]:
        client.object(name).delete()


@dataclass(frozen=True)
class MidBatchKill:
    """The outcome as recorded, what of it broke the rule (a gap, a duplicate, an untyped or
    unnamed error), the node that served the first reply and the client's re-requests."""

    outcome: FaultOutcome
    rule_problems: list[str]
    served_by: str
    retries: int


def kill_mid_batch(bench: FaultBench, objects: BatchObjects, victim: str,
                   order: tuple[str, ...]) -> MidBatchKill:
    """One GetBatch of ``order``; SIGKILL ``victim`` once the first entry is in, restart it
    after RESTART_AFTER_S; judge what came back."""
    bench.settle()
    client = RequestClient(bench.endpoint, timeout=(2.0, 10.0), retries=3)
    batch = Batch(client, bucket=Bucket(client, objects.bucket), cont_on_err=False,
                  colocation=Colocation.TARGET_AWARE)
    for name in order:
        batch.add(name)
    delivered: list[tuple[str, bool]] = []  # (name, bytes are its own)
    designated_url = ""
    restart = threading.Thread(target=_restart_later, args=(bench, victim), daemon=True)
    error: Exception | None = None
    started = time.monotonic()
    try:
        for out, data in batch.get():
            delivered.append((out.obj_name, data == content_for(out.obj_name, MIB)))
            if len(delivered) == 1:
                designated_url = batch.served_by
                bench.control.kill(victim)
                restart.start()
    except Exception as err:  # judged below: an untyped error is a violation, not a crash
        error = err
    finally:
        duration_s = time.monotonic() - started
        if restart.ident is not None:  # started: the restart must end before the heal
            restart.join(timeout=60.0)
        bench.heal()
    nodes = [bench.control.public_url(victim), victim, designated_url]
    rule_problems = _rule_problems(order, delivered, error,
                                   [f"ais://{objects.bucket}/{name}" for name in order],
                                   [node for node in nodes if node])
    problems = rule_problems + _type_problems(error)
    error_type, message = error_fields(error)
    names = [name for name, _ in delivered]
    role = "designated" if victim == objects.designated else "peer"
    outcome = FaultOutcome(
        fault=f"target SIGKILL mid-GetBatch ({role}), restarted after {RESTART_AFTER_S:g} s",
        dataset="Batch.get (64 x 1 MiB, streaming)", num_workers=0,
        outcome=outcome_text(problems, COMPLETED if error is None else TYPED_ERROR),
        expected=len(order), seen=len(names), duplicates=len(names) - len(set(names)),
        missing=len(set(order) - set(names)), duration_s=round(duration_s, 3),
        error_type=error_type, error=message, retries=client.retries_made,
        notes=f"killed {victim} ({role}); first reply from {designated_url}")
    return MidBatchKill(outcome, rule_problems, designated_url, client.retries_made)


def _restart_later(bench: FaultBench, victim: str) -> None:
    time.sleep(RESTART_AFTER_S)
    bench.control.restart(victim)


def _rule_problems(order: tuple[str, ...], delivered: list[tuple[str, bool]],
                   error: Exception | None, entry_urls: list[str], nodes: list[str]) -> list[str]:
    """What broke the rule: a gap, a duplicate, foreign bytes, a quiet short end, an untyped
    error, or one that names no entry of the batch (``entry_urls``, ais://bucket/name) or none
    of ``nodes`` (node URLs or ids)."""
    names = [name for name, _ in delivered]
    problems = []
    if names != list(order[:len(names)]):
        problems.append("entries out of request order, repeated or skipped")
    if not all(own for _, own in delivered):
        problems.append("an entry carried bytes that are not its object's")
    if error is None:
        if len(names) < len(order):
            problems.append(f"the batch ended quietly after {len(names)} of {len(order)}")
        return problems
    if not isinstance(error, AISError):
        problems.append(f"untyped error {type(error).__name__}")
    text = str(error)
    entry, node = names_object_and_node(text, entry_urls, nodes)
    if "GetBatch of" not in text or entry is None or node is None:
        problems.append("error does not name the batch and the node")
    return problems


def _type_problems(error: Exception | None) -> list[str]:
    """Issue #12's stricter rule: an error that stops a batch is one of TYPED_ERRORS."""
    if error is None or isinstance(error, TYPED_ERRORS):
        return []
    return [f"error {type(error).__name__}, not one of "
            f"{', '.join(t.__name__ for t in TYPED_ERRORS)}"]


def _judge(kill: MidBatchKill) -> None:
    """Exactly once, or one of TYPED_ERRORS naming the batch and a node."""
    assert kill.rule_problems == [], kill.outcome
    assert kill.outcome.duplicates == 0, kill.outcome
    assert kill.outcome.outcome in (COMPLETED, TYPED_ERROR), kill.outcome


@pytest.mark.timeout(60)
@pytest.mark.parametrize("killed", ["designated", "peer"])
def test_target_killed_mid_batch_delivers_each_entry_once_or_names_batch_and_node(
        fault_cluster: FaultBench, batch_objects: BatchObjects, killed: str) -> None:
    objects = batch_objects
    if killed == "designated":  # it holds the later 40 entries; the peer's 24 come first
        victim, order = objects.designated, objects.on_peer + objects.on_designated
    else:  # the peer holds the later 24 entries, which the designated target gathers
        victim, order = objects.peer, objects.on_designated + objects.on_peer
    kill = kill_mid_batch(fault_cluster, objects, victim, order)
    record(kill.outcome)
    assert kill.served_by == fault_cluster.control.public_url(objects.designated)
    if killed == "designated":  # its own connection broke: a re-request or the error
        assert kill.retries > 0 or kill.outcome.error_type is not None, kill.outcome
    _judge(kill)


def test_a_gap_a_duplicate_and_an_unnamed_error_each_break_the_rule() -> None:
    order, urls = ("a", "b", "c"), ["ais://b/a", "ais://b/b", "ais://b/c"]
    node = "http://127.0.0.1:9"

    def problems(delivered: list[tuple[str, bool]], error: Exception | None) -> list[str]:
        return _rule_problems(order, delivered, error, urls, [node, "target9"])

    assert problems([("a", True), ("c", True)], None)[0].startswith("entries")
    assert problems([("a", True), ("a", True)], None)[0].startswith("entries")
    assert problems([("a", False)], None)[0].startswith("an entry carried")
    assert "ended quietly" in problems([("a", True)], None)[-1]
    assert problems([("a", True), ("b", True), ("c", True)], None) == []
    unnamed = ClusterUnreachable("connection refused", 0, "")
    assert problems([], unnamed) == ["error does not name the batch and the node"]
    assert problems([], ValueError("GetBatch of 3 (ais://b/a) target9")) == [
        "untyped error ValueError"]
    by_id = GetBatchInterrupted("GetBatch of 2 entries (ais://b/b ... ais://b/c) from target9")
    assert problems([("a", True)], by_id) == [] and _type_problems(by_id) == []


def test_only_the_issues_three_error_types_meet_its_stricter_rule() -> None:
    named = "GetBatch of 3 entries (ais://b/a ... ais://b/c) from http://127.0.0.1:9"
    assert _type_problems(GetBatchIncomplete(named)) == [
        "error GetBatchIncomplete, not one of GetBatchInterrupted, ObjectReadInterrupted, "
        "ClusterUnreachable"]
    assert _type_problems(ObjectReadInterrupted(named)) == []
    assert _type_problems(None) == []
