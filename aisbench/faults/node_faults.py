"""Node faults on a `FaultBench`: a target killed (and restarted, or not), frozen, or killed
while an object streams from it. Each returns a `FaultOutcome` and heals the cluster first.

The pytest fault tests assert on these outcomes and the ``faults`` scenario reports them, so
what CI checks is exactly what the report shows.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass

from aisbench.faults.bench import FaultBench
from aisbench.faults.epoch_run import impatient, join_notes, patient, run_epoch
from aisbench.faults.outcome import (
    COMPLETED,
    TYPED_ERROR,
    VIOLATION,
    FaultOutcome,
    names_object_and_node,
)
from aisref.client import AISError, Bucket, RequestClient

# Down this long before the restart begins, so reads meet the dead node and must retry (a
# fresh aisnode listens within ~0.1 s and is ready within ~1-2 s).
RESTART_AFTER_S = 1.0
STREAM_BYTES = 64 * 2**20  # far more than loopback socket buffers hold: mid-flight at the kill


def _victim(bench: FaultBench, kind: str) -> str:
    """The target holding the dataset's last object or shard: read after the fault."""
    data = bench.data
    if kind in ("AISShardReader", "AISMultiShardStream"):
        return bench.owner_of(data.shards_bucket, data.shard_names[-1])
    return bench.owner_of(data.objects_bucket, data.object_names[-1])


def kill_and_restart(bench: FaultBench, kind: str, workers: int,
                     restart_after_s: float = RESTART_AFTER_S) -> FaultOutcome:
    """SIGKILL the target that holds the epoch's last data mid-epoch; restart it after
    ``restart_after_s``. A patient client should complete the epoch exactly once."""
    victim = _victim(bench, kind)
    restarts: list[threading.Thread] = []

    def restart_later() -> None:
        time.sleep(restart_after_s)
        bench.control.restart(victim)

    def kill_then_restart() -> None:
        bench.control.kill(victim)
        thread = threading.Thread(target=restart_later, daemon=True)
        thread.start()
        restarts.append(thread)

    try:
        return run_epoch(bench.data, bench.target_urls(),
                         f"target SIGKILL, restarted after {restart_after_s:g} s", kind,
                         workers, patient, kill_then_restart, notes=f"killed {victim}")
    finally:
        for thread in restarts:
            thread.join(timeout=60)
        bench.heal()


def kill_for_good(bench: FaultBench, kind: str, workers: int) -> FaultOutcome:
    """SIGKILL the target mid-epoch and leave it down: the epoch must stop with a typed error
    naming the object and the node."""
    victim = _victim(bench, kind)
    try:
        return run_epoch(bench.data, bench.target_urls(),
                         "target SIGKILL, down until the epoch ends", kind, workers,
                         impatient, lambda: bench.control.kill(victim),
                         notes=f"killed {victim}")
    finally:
        bench.heal()


@dataclass(frozen=True)
class FreezeObservation:
    """A GET of an object on a frozen target: the outcome, the bound the client's timeout and
    retry settings allow, and whether the same GET worked after SIGCONT."""

    outcome: FaultOutcome
    object_url: str
    node_url: str
    bound_s: float
    recovered: bool


def freeze_then_resume(bench: FaultBench, connect_s: float = 1.0,
                       read_s: float = 1.5) -> FreezeObservation:
    """SIGSTOP a target, GET an object it holds (1 retry), SIGCONT, GET it again."""
    bench.heal()  # the map settled: a late rejoin must not move the object under the test
    data = bench.data
    victim = bench.control.target_ids()[0]
    name = next(n for n in data.object_names
                if bench.owner_of(data.objects_bucket, n) == victim)
    object_url = f"ais://{data.objects_bucket}/{name}"
    node_url = bench.control.public_url(victim)
    client = RequestClient(bench.endpoint, timeout=(connect_s, read_s), retries=1,
                           retry_budget=1.0)
    obj = Bucket(client, data.objects_bucket).object(name)
    # Worst case the policy allows: 2 attempts x (connect + read) + 1 backoff sleep.
    bound_s = 2 * (connect_s + read_s) + client.retry_policy.delay(0)
    error: AISError | None = None
    bench.control.send(victim, signal.SIGSTOP)
    try:
        started = time.monotonic()
        try:
            obj.get_reader().read_all()
        except AISError as err:
            error = err
        failed_after = time.monotonic() - started
    finally:
        bench.control.send(victim, signal.SIGCONT)
    bench.control.wait_serving(victim, timeout_s=30.0)
    recovered = obj.get_reader().read_all().startswith(name.encode())
    problems = _freeze_problems(error, object_url, node_url, failed_after <= bound_s + 2.0,
                                recovered)  # + 2 s: scheduling slack on a loaded machine
    outcome = FaultOutcome(
        fault="target SIGSTOP, then SIGCONT", dataset="Object.get_reader", num_workers=0,
        outcome=TYPED_ERROR if not problems else f"{VIOLATION}: " + "; ".join(problems),
        expected=1, seen=0 if error is not None else 1, duplicates=0,
        missing=1 if error is not None else 0, duration_s=round(failed_after, 3),
        error_type=type(error).__name__ if error is not None else None,
        error=error.message[:400] if error is not None else None, retries=client.retries_made,
        notes=join_notes(f"timeout {connect_s:g} s connect + {read_s:g} s read, 1 retry: "
                         f"fails within {bound_s:.1f} s",
                         "after SIGCONT the same GET succeeded" if recovered
                         else "after SIGCONT the same GET still FAILED"))
    return FreezeObservation(outcome, object_url, node_url, bound_s, recovered)


def _freeze_problems(error: AISError | None, object_url: str, node_url: str,
                     within_bound: bool, recovered: bool) -> list[str]:
    if error is None:
        return ["the GET succeeded while its target was frozen"]
    named_object, named_node = names_object_and_node(error.message, [object_url], [node_url])
    problems = []
    if named_object is None or named_node is None:
        problems.append("error does not name the object and the node")
    if "timed out" not in error.message:
        problems.append("error does not say it timed out")
    if not within_bound:
        problems.append("failed later than the configured timeout allows")
    if not recovered:
        problems.append("no recovery after SIGCONT")
    return problems


def kill_while_streaming(bench: FaultBench) -> FaultOutcome:
    """SIGKILL the target while a 64 MiB object streams from it: the read must stop with
    ObjectReadInterrupted naming the object and the node, not return short data."""
    client = RequestClient(bench.endpoint, timeout=(2.0, 10.0), retries=1)
    bucket = Bucket(client, bench.data.objects_bucket)
    name = "big-stream.bin"
    bucket.put_object(name, bytes(STREAM_BYTES))
    victim = bench.owner_of(bucket.name, name)
    node_url = bench.control.public_url(victim)
    received = 0
    error: AISError | None = None
    started = time.monotonic()
    try:
        with bucket.object(name).get_reader(chunk_size=2**20).raw() as body:
            received += len(body.read(2**20))
            bench.control.kill(victim)
            while chunk := body.read(2**20):
                received += len(chunk)
    except AISError as err:
        error = err
    finally:
        failed_after = time.monotonic() - started
        bench.heal()
        bucket.object(name).delete()
    object_url = f"ais://{bucket.name}/{name}"
    problems = []
    if error is None and received < STREAM_BYTES:
        problems.append(f"the read ended quietly after {received} of {STREAM_BYTES} bytes")
    elif error is not None:
        named_object, named_node = names_object_and_node(error.message, [object_url],
                                                         [node_url])
        if named_object is None or named_node is None:
            problems.append("error does not name the object and the node")
    return FaultOutcome(
        fault="target SIGKILL while an object streams", dataset="ObjectReader.raw",
        num_workers=0,
        outcome=(f"{VIOLATION}: " + "; ".join(problems) if problems
                 else TYPED_ERROR if error is not None else COMPLETED),
        expected=STREAM_BYTES, seen=received, duplicates=0, missing=STREAM_BYTES - received,
        duration_s=round(failed_after, 3),
        error_type=type(error).__name__ if error is not None else None,
        error=error.message[:400] if error is not None else None,
        notes=join_notes(f"killed {victim}; expected/seen/missing in bytes, not samples",
                         "" if error is not None or problems
                         else "the kill came after the last byte was sent"))
