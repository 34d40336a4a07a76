"""Node faults on a `FaultBench`: a target killed (and restarted, or not), frozen, or killed
while an object streams from it. Each returns a `FaultOutcome` and heals the cluster first.

The pytest fault tests assert on these outcomes and the ``faults`` scenario reports them, so
what CI checks is exactly what the report shows.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from aisbench.cluster import ClusterError
from aisbench.datagen import content_for
from aisbench.faults.bench import FaultBench
from aisbench.faults.epoch_run import impatient, join_notes, patient, run_epoch
from aisbench.faults.judge import error_fields, names_object_and_node, outcome_text
from aisbench.faults.kinds import BenchFault, BenchSite, EpochFault, FaultSettings, NoSettings, Step
from aisbench.results import NOT_EXERCISED, TYPED_ERROR, VIOLATION, FaultOutcome
from aisbench.scenario import allowed
from aisref.client import AISError, Bucket, Object, RequestClient

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


def _names_of(bench: FaultBench, node_id: str) -> list[str]:
    """How an error may name the node: its public URL, or its id (AIStore's proxy names a
    target it failed to call as ``t[<id>]``, with an intra-cluster address)."""
    return [bench.control.public_url(node_id), node_id]


def kill_and_restart(bench: FaultBench, kind: str, workers: int,
                     restart_after_s: float = RESTART_AFTER_S) -> FaultOutcome:
    """SIGKILL the target that holds the epoch's last data mid-epoch; restart it after
    ``restart_after_s``. A patient client should complete the epoch exactly once."""
    bench.settle()
    victim = _victim(bench, kind)
    restarter = _Restarter(bench, victim, restart_after_s)
    try:
        outcome = run_epoch(bench.data, _names_of(bench, victim),
                            f"target SIGKILL, restarted after {restart_after_s:g} s", kind,
                            workers, patient, restarter.kill_then_restart,
                            notes=f"killed {victim}")
    finally:
        restarter.join()  # raises when the restart failed: the harness, not the dataset
        bench.heal()
    return outcome


class _Restarter:
    """Kills a node, restarts it from a thread after a delay, and reports that thread's
    failure to whoever joins it (an exception in a thread is otherwise lost)."""

    def __init__(self, bench: FaultBench, node_id: str, after_s: float) -> None:
        self.bench, self.node_id, self.after_s = bench, node_id, after_s
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def kill_then_restart(self) -> None:
        self.bench.control.kill(self.node_id)
        self.thread = threading.Thread(target=self._restart_later, daemon=True)
        self.thread.start()

    def _restart_later(self) -> None:
        try:
            time.sleep(self.after_s)
            self.bench.control.restart(self.node_id)
        except BaseException as err:  # handed to join()
            self.error = err

    def join(self, timeout_s: float = 90.0) -> None:
        if self.thread is None:
            return
        self.thread.join(timeout=timeout_s)
        if self.thread.is_alive():
            raise ClusterError(f"restarting {self.node_id} took over {timeout_s:.0f} s")
        if self.error is not None:
            raise ClusterError(f"restarting {self.node_id} failed: {self.error}") from self.error


def kill_for_good(bench: FaultBench, kind: str, workers: int) -> FaultOutcome:
    """SIGKILL the target mid-epoch and leave it down: the epoch must stop with a typed error
    naming an object it did not deliver and the killed node."""
    bench.settle()
    victim = _victim(bench, kind)
    try:
        return run_epoch(bench.data, _names_of(bench, victim),
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
    bench.settle()  # the map settled: a late rejoin must not move the object under the test
    data = bench.data
    victim = bench.control.target_ids()[0]
    name = _an_object_on(bench, victim)
    object_url = f"ais://{data.objects_bucket}/{name}"
    node_url = bench.control.public_url(victim)
    client = RequestClient(bench.endpoint, timeout=(connect_s, read_s), retries=1,
                           retry_budget=1.0)
    obj = Bucket(client, data.objects_bucket).object(name)
    # Worst case the policy allows: 2 attempts x (connect + read) + 1 backoff sleep.
    bound_s = 2 * (connect_s + read_s) + client.retry_policy.delay(0)
    error: Exception | None = None
    bench.control.send(victim, signal.SIGSTOP)
    try:
        started = time.monotonic()
        try:
            obj.get_reader().read_all()
        except Exception as err:  # judged below: untyped errors are violations, not crashes
            error = err
        failed_after = time.monotonic() - started
    finally:
        bench.control.send(victim, signal.SIGCONT)
    bench.control.wait_serving(victim, timeout_s=30.0)
    recovered = _reads_back(obj, name)
    problems = _freeze_problems(error, object_url, node_url, failed_after <= bound_s + 2.0,
                                recovered)  # + 2 s: scheduling slack on a loaded machine
    error_type, message = error_fields(error)
    outcome = FaultOutcome(
        fault="target SIGSTOP, then SIGCONT", dataset="Object.get_reader", num_workers=0,
        outcome=outcome_text(problems, TYPED_ERROR), expected=1,
        seen=0 if error is not None else 1, duplicates=0,
        missing=1 if error is not None else 0, duration_s=round(failed_after, 3),
        error_type=error_type, error=message, retries=client.retries_made,
        notes=join_notes(f"timeout {connect_s:g} s connect + {read_s:g} s read, 1 retry: "
                         f"fails within {bound_s:.1f} s",
                         "after SIGCONT the same GET succeeded" if recovered
                         else "after SIGCONT the same GET still FAILED"))
    return FreezeObservation(outcome, object_url, node_url, bound_s, recovered)


def _an_object_on(bench: FaultBench, node_id: str) -> str:
    data = bench.data
    for name in data.object_names:
        if bench.owner_of(data.objects_bucket, name) == node_id:
            return name
    raise ClusterError(f"no object of ais://{data.objects_bucket} is on {node_id}; put more "
                       "objects (data.objects) so every target holds some")


def _reads_back(obj: Object, name: str) -> bool:
    try:
        return obj.get_reader().read_all() == content_for(name)
    except Exception:  # still failing after SIGCONT: "no recovery", judged by the caller
        return False


def _freeze_problems(error: Exception | None, object_url: str, node_url: str,
                     within_bound: bool, recovered: bool) -> list[str]:
    if error is None:
        return ["the GET succeeded while its target was frozen"]
    problems = []
    if not isinstance(error, AISError):
        problems.append(f"untyped error {type(error).__name__}")
    text = str(error)
    named_object, named_node = names_object_and_node(text, [object_url], [node_url])
    if named_object is None or named_node is None:
        problems.append("error does not name the object and the node")
    if "timed out" not in text:
        problems.append("error does not say it timed out")
    if not within_bound:
        problems.append("failed later than the configured timeout allows")
    if not recovered:
        problems.append("no recovery after SIGCONT")
    return problems


def kill_while_streaming(bench: FaultBench) -> FaultOutcome:
    """SIGKILL the target while a 64 MiB object streams from it: the read must stop with a
    typed error naming the object and the node, not return short data as if complete."""
    bench.settle()
    client = RequestClient(bench.endpoint, timeout=(2.0, 10.0), retries=1)
    bucket = Bucket(client, bench.data.objects_bucket)
    name = "big-stream.bin"
    bucket.put_object(name, bytes(STREAM_BYTES))
    victim = bench.owner_of(bucket.name, name)
    node_url = bench.control.public_url(victim)
    received = 0
    error: Exception | None = None
    started = time.monotonic()
    try:
        with bucket.object(name).get_reader(chunk_size=2**20).raw() as body:
            received += len(body.read(2**20))
            bench.control.kill(victim)
            while chunk := body.read(2**20):
                received += len(chunk)
    except Exception as err:  # judged below
        error = err
    finally:
        failed_after = time.monotonic() - started
        bench.heal()
        bucket.object(name).delete()
    error_type, message = error_fields(error)
    return FaultOutcome(
        fault="target SIGKILL while an object streams", dataset="ObjectReader.raw",
        num_workers=0,
        outcome=_stream_outcome(error, received, f"ais://{bucket.name}/{name}", node_url),
        expected=STREAM_BYTES, seen=received, duplicates=0, missing=STREAM_BYTES - received,
        duration_s=round(failed_after, 3), error_type=error_type, error=message,
        notes=f"killed {victim}; expected/seen/missing in bytes, not samples")


def _stream_outcome(error: Exception | None, received: int, object_url: str,
                    node_url: str) -> str:
    if error is None:
        if received < STREAM_BYTES:
            return f"{VIOLATION}: the read ended quietly after {received} of {STREAM_BYTES} bytes"
        return f"{NOT_EXERCISED}: the kill came after the last byte was sent"
    problems = [] if isinstance(error, AISError) else [f"untyped error {type(error).__name__}"]
    named_object, named_node = names_object_and_node(str(error), [object_url], [node_url])
    if named_object is None or named_node is None:
        problems.append("error does not name the object and the node")
    return outcome_text(problems, TYPED_ERROR)


# --- as the scenario names them (see kinds.py) ---------------------------------------------


class KillRestartSettings(FaultSettings):
    restart_after_s: float = allowed("0..30 seconds", default=RESTART_AFTER_S, ge=0, le=30)


class FreezeSettings(FaultSettings):
    """The client's timeouts for the GET that meets the frozen target."""

    connect_timeout_s: float = allowed("0.1..30 seconds", default=1.0, ge=0.1, le=30)
    read_timeout_s: float = allowed("0.1..30 seconds", default=1.5, ge=0.1, le=30)


def _kill_and_restart(settings: KillRestartSettings, bench: FaultBench, kind: str,
                      workers: int) -> FaultOutcome:
    return kill_and_restart(bench, kind, workers, settings.restart_after_s)


def _kill_for_good(_settings: NoSettings, bench: FaultBench, kind: str,
                   workers: int) -> FaultOutcome:
    return kill_for_good(bench, kind, workers)


def _freeze_steps(settings: FreezeSettings, site: BenchSite) -> Iterator[Step]:
    yield Step("target freeze", lambda: freeze_then_resume(
        site.bench, settings.connect_timeout_s, settings.read_timeout_s).outcome)


def _streaming_steps(_settings: NoSettings, site: BenchSite) -> Iterator[Step]:
    yield Step("kill while streaming", lambda: kill_while_streaming(site.bench))


TARGET_KILL_RESTART = EpochFault("target_kill_restart", KillRestartSettings,
                                 "{restart_after_s}", "kill and restart", _kill_and_restart)
TARGET_KILL = EpochFault("target_kill", NoSettings, "{} (no settings)", "kill for good",
                         _kill_for_good)
TARGET_FREEZE = BenchFault("target_freeze", FreezeSettings,
                           "{connect_timeout_s, read_timeout_s}", _freeze_steps)
KILL_WHILE_STREAMING = BenchFault("kill_while_streaming", NoSettings, "{} (no settings)",
                                  _streaming_steps)
